"""The README's commands install into a virtual environment of the project's, so they work where
the system Python refuses `pip install` (PEP 668: stock Debian 12, Ubuntu 24.04)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DEBIAN_PYTHON = Path("/usr/bin/python3")


def test_the_install_step_works_under_debians_externally_managed_python(tmp_path: Path):
    stdlib = "import sysconfig; print(sysconfig.get_path('stdlib'))"
    marker = subprocess.run(
        [str(DEBIAN_PYTHON), "-c", stdlib], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert (Path(marker) / "EXTERNALLY-MANAGED").exists(), "expected Debian's own, externally managed python3"
    refused = subprocess.run(
        [str(DEBIAN_PYTHON), "-m", "pip", "install", "--dry-run", "-e", str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0 and "externally-managed-environment" in refused.stderr

    venv = tmp_path / "venv"
    env = {
        "PATH": f"{DEBIAN_PYTHON.parent}:/usr/sbin:/sbin:/bin",
        "KUBELITE_VENV": str(venv),
        "HOME": str(tmp_path),
    }
    r = subprocess.run([str(ROOT / "scripts" / "venv")], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr

    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sys; print(sys._base_executable)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(version).resolve() == DEBIAN_PYTHON.resolve()
    help_text = subprocess.run(
        [str(venv / "bin" / "kubelite"), "--help"], capture_output=True, text=True, cwd=tmp_path, check=True
    ).stdout
    assert "up" in help_text and "apiserver" in help_text
