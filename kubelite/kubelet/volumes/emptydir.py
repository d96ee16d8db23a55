"""emptyDir: a directory that lives as long as the pod, on the node's disk, or with
`medium: Memory` a tmpfs sized by `sizeLimit` (the kernel then refuses writes past it).
Secret and projected volumes get a tmpfs from here too; `unmount_under` releases a pod's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kubelite.api.quantity import parse_quantity
from kubelite.api.types import Object


def is_mount_point(path: Path) -> bool:
    return path.is_dir() and os.path.ismount(path)


def mount_tmpfs(path: Path, opts: str) -> None:
    """A tmpfs at `path` (made if missing), unless one is there already."""
    path.mkdir(parents=True, exist_ok=True)
    if not is_mount_point(path):
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], check=True, capture_output=True
        )


def set_up(path: Path, source: Object) -> None:
    path.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode
    if mode & 0o777 != 0o777:  # as Kubernetes: any container user may write to it
        path.chmod((mode & 0o7000) | 0o777)  # keeping fsGroup's setgid bit
    if source.get("medium") != "Memory":
        return
    opts = "mode=0777"
    if source.get("sizeLimit"):
        opts += f",size={parse_quantity(str(source['sizeLimit'])).value()}"
    mount_tmpfs(path, opts)


def unmount_under(root: Path) -> None:
    """Every mount at or below `root`, deepest first (lazily: a container may still hold one)."""
    prefix = str(root).rstrip("/") + "/"
    with open("/proc/mounts") as f:
        points = [line.split()[1] for line in f]
    for p in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", p], check=False, capture_output=True)
