"""hostPath: a file or directory of the node itself, checked against the volume's `type`
first (DirectoryOrCreate and FileOrCreate create what is missing); a failed check is the
pod's FailedMount with Kubernetes' message."""

from __future__ import annotations

import stat
from pathlib import Path

from kubelite.api.types import Object
from kubelite.kubelet.volumes.errors import VolumeError

_KINDS = {
    "Directory": (stat.S_ISDIR, "a directory"),
    "File": (stat.S_ISREG, "a file"),
    "Socket": (stat.S_ISSOCK, "a socket file"),
    "CharDevice": (stat.S_ISCHR, "a character device"),
    "BlockDevice": (stat.S_ISBLK, "a block device"),
}


def _is(path: Path, kind: str) -> bool:
    try:
        return _KINDS[kind][0](path.stat().st_mode)
    except OSError:
        return False


def check(source: Object) -> Path:
    """The host path, after the type check (creating it for the *OrCreate types)."""
    path = Path(source.get("path", ""))
    kind = source.get("type") or ""
    if kind == "DirectoryOrCreate":
        if not path.exists():
            path.mkdir(parents=True, mode=0o755)
        kind = "Directory"
    elif kind == "FileOrCreate":
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o644)
        kind = "File"
    if kind == "":
        return path
    if kind not in _KINDS:
        raise VolumeError(f"{kind} is an invalid volume type")
    if not _is(path, kind):
        raise VolumeError(f"hostPath type check failed: {path} is not {_KINDS[kind][1]}")
    return path
