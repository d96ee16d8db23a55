"""emptyDir: a directory that lives as long as the pod, on the node's disk, or with
`medium: Memory` a tmpfs sized by `sizeLimit`, the pod's memory limit or the node's
allocatable memory, whichever is smallest (the kernel then refuses writes past it).
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


def memory_size(source: Object, pod: Object, allocatable_memory: str = "") -> int:
    """A Memory emptyDir's tmpfs size, as Kubernetes 1.32 sizes it: the smallest of the node's
    allocatable memory, the pod's memory limit and the volume's sizeLimit (0: none known)."""
    sizes = []
    if allocatable_memory:
        sizes.append(parse_quantity(allocatable_memory).value())
    spec = pod.get("spec") or {}

    def limit(c: Object) -> int:
        value = ((c.get("resources") or {}).get("limits") or {}).get("memory")
        return parse_quantity(str(value)).value() if value else 0

    pod_limit = max(
        sum(limit(c) for c in spec.get("containers") or []),
        max((limit(c) for c in spec.get("initContainers") or []), default=0),
    )
    if pod_limit > 0:
        sizes.append(pod_limit)
    if source.get("sizeLimit"):
        sizes.append(parse_quantity(str(source["sizeLimit"])).value())
    return min(sizes, default=0)


def set_up(path: Path, source: Object, memory_bytes: int = 0) -> None:
    """`memory_bytes`: the tmpfs size of a Memory emptyDir (memory_size)."""
    path.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode
    if mode & 0o777 != 0o777:  # as Kubernetes: any container user may write to it
        path.chmod((mode & 0o7000) | 0o777)  # keeping fsGroup's setgid bit
    if source.get("medium") != "Memory":
        return
    opts = "mode=0777"
    if memory_bytes > 0:
        opts += f",size={memory_bytes}"
    mount_tmpfs(path, opts)


def unmount_under(root: Path) -> None:
    """Every mount at or below `root`, deepest first (lazily: a container may still hold one)."""
    prefix = str(root).rstrip("/") + "/"
    with open("/proc/mounts") as f:
        points = [line.split()[1] for line in f]
    for p in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", p], check=False, capture_output=True)
