"""Container and pod resource usage read from cgroups (v1 controllers, or the v2 unified tree).

CPU is the cumulative usage in nanoseconds (`cpuacct.usage`, or `cpu.stat` usage_usec);
memory usage, and the working set as the kubelet defines it: usage minus inactive file
pages (the page cache the kernel can drop at no cost).
"""

from __future__ import annotations

import time
from pathlib import Path

from kubelite.cri import api_pb2 as pb

CGROUP = Path("/sys/fs/cgroup")


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stat(path: Path) -> dict[str, int]:
    try:
        return {k: int(v) for k, v in (line.split() for line in path.read_text().splitlines())}
    except (OSError, ValueError):
        return {}


def cpu_ns(cgroup: str) -> int | None:
    v1 = _read_int(CGROUP / "cpuacct" / cgroup.lstrip("/") / "cpuacct.usage")
    if v1 is not None:
        return v1
    usec = _stat(CGROUP / cgroup.lstrip("/") / "cpu.stat").get("usage_usec")
    return usec * 1000 if usec is not None else None


def memory(cgroup: str) -> tuple[int, int] | None:
    """(usage, working set) in bytes."""
    base = CGROUP / "memory" / cgroup.lstrip("/")
    usage = _read_int(base / "memory.usage_in_bytes")
    if usage is not None:
        inactive = _stat(base / "memory.stat").get("total_inactive_file", 0)
    else:
        base = CGROUP / cgroup.lstrip("/")
        usage = _read_int(base / "memory.current")
        if usage is None:
            return None
        inactive = _stat(base / "memory.stat").get("inactive_file", 0)
    return usage, max(usage - inactive, 0)


def fill(cgroup: str, cpu: pb.CpuUsage, mem: pb.MemoryUsage) -> bool:
    """Fill in what the cgroup tells; False if it told nothing (it is gone)."""
    now = time.time_ns()
    cpu.timestamp = mem.timestamp = now
    if (ns := cpu_ns(cgroup)) is not None:
        cpu.usage_core_nano_seconds.value = ns
    if (m := memory(cgroup)) is not None:
        mem.usage_bytes.value, mem.working_set_bytes.value = m
    return ns is not None or m is not None
