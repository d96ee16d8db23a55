"""What the kubelet learns about its machine: capacity, addresses and system info.

These facts fill the Node's `status.capacity`, `status.addresses` and `status.nodeInfo`.
Allocatable is capacity minus what is reserved for the system and Kubernetes daemons and
the hard eviction threshold, as the kubelet computes it.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from kubelite.api.quantity import parse_quantity
from kubelite.util.net import primary_address


@dataclass(slots=True)
class HostInfo:
    hostname: str
    cpus: int
    memory_bytes: int
    ephemeral_storage_bytes: int
    addresses: list[dict[str, str]] = field(default_factory=list)
    kernel_version: str = ""
    os_image: str = ""
    machine_id: str = ""
    system_uuid: str = ""
    boot_id: str = ""
    architecture: str = "amd64"
    operating_system: str = "linux"


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _os_image() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return platform.system()


def _memory_bytes() -> int:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def _primary_ip() -> str:
    """The address the default route leaves from, else loopback."""
    return primary_address() or "127.0.0.1"


_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}


def probe_host(node_ip: str = "", state_dir: str = "/var/lib") -> HostInfo:
    """Read this machine's facts."""
    hostname = socket.gethostname().lower()
    ip = node_ip or _primary_ip()
    try:
        storage = shutil.disk_usage(state_dir).total
    except OSError:
        storage = 0
    return HostInfo(
        hostname=hostname,
        cpus=os.cpu_count() or 1,
        memory_bytes=_memory_bytes(),
        ephemeral_storage_bytes=storage,
        addresses=[{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": hostname}],
        kernel_version=platform.release(),
        os_image=_os_image(),
        machine_id=_read("/etc/machine-id"),
        system_uuid=_read("/sys/class/dmi/id/product_uuid"),
        boot_id=_read("/proc/sys/kernel/random/boot_id"),
        architecture=_ARCH.get(platform.machine(), platform.machine()),
    )


def capacity(info: HostInfo, max_pods: int) -> dict[str, str]:
    return {
        "cpu": str(info.cpus),
        "memory": f"{info.memory_bytes // 1024}Ki",
        "ephemeral-storage": f"{info.ephemeral_storage_bytes // 1024}Ki",
        "pods": str(max_pods),
        "hugepages-2Mi": "0",
        "hugepages-1Gi": "0",
    }


def allocatable(cap: dict[str, str], reserved: list[dict[str, str]], eviction_memory: str) -> dict[str, str]:
    """Capacity minus every reservation (never below zero)."""
    out = dict(cap)
    minus: dict[str, float] = {"memory": parse_quantity(eviction_memory or "0").as_float()}
    for r in reserved:
        for k, v in r.items():
            minus[k] = minus.get(k, 0.0) + parse_quantity(v).as_float()
    for k, sub in minus.items():
        if k not in cap or not sub:
            continue
        left = max(0.0, parse_quantity(cap[k]).as_float() - sub)
        if k == "cpu":
            out[k] = f"{int(left * 1000)}m"
        elif k in ("memory", "ephemeral-storage"):
            out[k] = f"{int(left) // 1024}Ki"
        else:
            out[k] = str(int(left))
    return out
