"""The code passes the project's linter and is in the one format (ruff, configured in
pyproject.toml: pycodestyle, pyflakes, bugbear, pyupgrade, isort, a complexity limit)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("kubelite", "tests", "bench")


def test_ruff_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *TREES], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_formatted_with_ruff_format():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *TREES], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, "run `ruff format`:\n" + result.stdout + result.stderr
