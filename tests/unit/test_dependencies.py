"""Every third-party module the shipped package imports is a declared runtime dependency.

A plain `pip install .` installs `[project] dependencies` only; a module that reaches the test
environment through a test extra (or as another package's dependency) would be missing for a
user. deptry (configured in pyproject.toml) reads the imports under kubelite/ and compares them
with the declared dependencies.
"""

import subprocess
import sys
from pathlib import Path


def test_every_runtime_import_is_a_declared_dependency():
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "deptry", "--no-ansi", "."], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
