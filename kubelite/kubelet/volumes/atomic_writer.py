"""The atomic writer: a volume's files replaced all at once, as Kubernetes' kubelet does.

    <volume dir>/..2026_12_02_09_30_00.123456789/   the files of one version
    <volume dir>/..data -> ..2026_12_02_09_30_00.123456789
    <volume dir>/ca.crt -> ..data/ca.crt             the names users see

A new version is written to a fresh timestamped directory, then a `..data_tmp` symlink to
it is renamed over `..data` (rename(2) is atomic), so a reader sees either the old files or
the new ones, never a mix. The old directory and user-visible names no longer in the
payload are removed afterwards. Nothing is written when the payload is unchanged.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DATA = "..data"
DATA_TMP = "..data_tmp"


@dataclass(frozen=True, slots=True)
class FileProjection:
    data: bytes
    mode: int = 0o644


Payload = dict[str, FileProjection]  # relative path → contents


def _current(target: Path) -> Payload | None:
    data = target / DATA
    if not data.is_symlink():
        return None
    out: Payload = {}
    root = target / os.readlink(data)
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = FileProjection(p.read_bytes(), p.stat().st_mode & 0o7777)
    return out


def _check(payload: Payload) -> None:
    for rel in payload:
        parts = Path(rel).parts
        if not rel or Path(rel).is_absolute() or ".." in parts or parts[0].startswith(".."):
            raise ValueError(f"invalid path {rel!r}: must be relative, without '..'")


def write(target: Path, payload: Payload) -> bool:
    """Publish `payload` under `target`; False when it was already there."""
    _check(payload)
    target.mkdir(parents=True, exist_ok=True)
    if _current(target) == payload:
        return False
    old = os.readlink(target / DATA) if (target / DATA).is_symlink() else None
    stamp = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
    ts_dir = Path(tempfile.mkdtemp(prefix=stamp, dir=target))
    ts_dir.chmod(0o755)
    for rel, f in payload.items():
        p = ts_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(f.data)
        p.chmod(f.mode)
    tmp = target / DATA_TMP
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(ts_dir.name)
    tmp.rename(target / DATA)
    tops = {Path(rel).parts[0] for rel in payload}
    for top in tops:
        link = target / top
        if not link.is_symlink():
            link.symlink_to(f"{DATA}/{top}")
    for entry in target.iterdir():
        if entry.name.startswith(".."):
            continue
        if entry.name not in tops and entry.is_symlink():
            entry.unlink()
    if old and old != ts_dir.name:
        shutil.rmtree(target / old, ignore_errors=True)
    return True
