"""emptyDir: a directory that lives as long as the pod, on the node's disk, or with
`medium: Memory` a tmpfs sized by `sizeLimit` (the kernel then refuses writes past it)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kubelite.api.quantity import parse_quantity
from kubelite.api.types import Object


def is_mount_point(path: Path) -> bool:
    return path.is_dir() and os.path.ismount(path)


def set_up(path: Path, source: Object) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)  # as Kubernetes: any container user may write to it
    if source.get("medium") != "Memory" or is_mount_point(path):
        return
    opts = "mode=0777"
    if source.get("sizeLimit"):
        opts += f",size={parse_quantity(str(source['sizeLimit'])).value()}"
    subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], check=True, capture_output=True)


def tear_down(path: Path) -> None:
    if is_mount_point(path):
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)
