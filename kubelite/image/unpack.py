"""Applying an image layer (a tar, maybe gzipped) onto a directory, with OCI whiteouts.

A layer records deletions as marker files: `dir/.wh.name` deletes `dir/name` from the
layers below, and `dir/.wh..wh..opq` empties `dir` of everything the layers below put
there. Layers are applied in order onto one directory, so each layer's whiteouts are
carried out first, then its entries are written. Entries may not escape the directory,
neither by their path nor through a symlink met on the way.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


def _clean(name: str) -> str:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"layer entry {name!r} escapes the root")
    return "/".join(parts)


def _inside(root: Path, path: Path) -> bool:
    real = os.path.realpath(path)
    return real == str(root) or real.startswith(str(root) + os.sep)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def apply_layer(root: Path, layer: Path) -> int:
    """Apply one layer file onto `root`; return the bytes it unpacked."""
    root = Path(os.path.realpath(root))
    size = 0
    with tarfile.open(layer, "r:*") as tar:
        members = tar.getmembers()
        keep: list[tarfile.TarInfo] = []
        for m in members:
            m.name = _clean(m.name)
            if not m.name:
                continue
            base = os.path.basename(m.name)
            parent = root / os.path.dirname(m.name)
            if base == OPAQUE:
                if parent.is_dir() and _inside(root, parent):
                    for child in parent.iterdir():
                        _remove(child)
            elif base.startswith(WHITEOUT):
                victim = parent / base[len(WHITEOUT) :]
                if _inside(root, victim.parent):
                    _remove(victim)
            else:
                keep.append(m)
        for m in keep:
            target = root / m.name
            if not _inside(root, target.parent):
                raise ValueError(f"layer entry {m.name!r} goes through a symlink out of the root")
            if os.path.lexists(target) and not (m.isdir() and target.is_dir() and not target.is_symlink()):
                _remove(target)
            if m.islnk():
                m.linkname = _clean(m.linkname)
            tar.extract(m, root, set_attrs=True, numeric_owner=True, filter="fully_trusted")
            size += m.size
    return size
