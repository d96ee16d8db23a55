"""Pod cgroups: where the kubelet asks the runtime to put each pod, and their removal.

As Kubernetes' kubelet with `cgroupsPerQOS` and the cgroupfs driver, every pod gets a
cgroup under its QoS class, named in its sandbox config (`linux.cgroup_parent`):

    <cgroup root>/kubepods/pod<uid>                  Guaranteed
    <cgroup root>/kubepods/burstable/pod<uid>        Burstable
    <cgroup root>/kubepods/besteffort/pod<uid>       BestEffort

Before a pod's sandbox runs, the kubelet creates its cgroup and sets the pod's own
limits on it (`ensure_pod_cgroup`), as Kubernetes' pod container manager does:

    cpu shares   summed cpu requests (2 for BestEffort)       v1 cpu.shares / v2 cpu.weight
    cpu quota    summed cpu limits, if every container has one    cpu.cfs_quota_us / cpu.max
    memory       summed memory limits, if every container has one  memory.limit_in_bytes / .max
    pids         --pod-max-pids, if set                           pids.max

(an init container runs alone, so the pod needs the larger of the app containers' sum and
its biggest init container). The runtime (runc) puts the sandbox's and containers' cgroups
below it and removes only those; the kubelet removes the pod's once its sandboxes are gone.
Runtimes read pod-level stats from it (containerd has none without it). Only the cgroupfs
layout is written; with the systemd driver the pod's cgroup is left to the runtime.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelite.api.pods import qos_class
from kubelite.api.quantity import parse_quantity

log = logging.getLogger("kubelite.kubelet.cgroups")
CGROUP_FS = Path("/sys/fs/cgroup")
_QOS_DIRS = {"Guaranteed": "", "Burstable": "burstable", "BestEffort": "besteffort"}


def pod_cgroup(pod: dict[str, Any], root: str = "/") -> str:
    """The cgroup (a path under every hierarchy) a pod's sandbox is put in."""
    qos = _QOS_DIRS[qos_class(pod)]
    parts = [root.rstrip("/"), "kubepods", *([qos] if qos else []), f"pod{pod['metadata'].get('uid', '')}"]
    return "/".join(parts)


def _hierarchies(base: Path) -> list[Path]:
    """cgroup v2: the one unified tree; v1: each controller's mount (named ones included)."""
    if (base / "cgroup.controllers").exists():
        return [base]
    return [d for d in base.iterdir() if d.is_dir() and not d.is_symlink()] if base.is_dir() else []


def remove_cgroup(path: str, base: Path = CGROUP_FS) -> None:
    """Remove an emptied cgroup and the empty ones left under it, in every hierarchy. A
    cgroup that still has processes stays (the kernel refuses), and is logged."""
    for hierarchy in _hierarchies(base):
        top = hierarchy / path.lstrip("/")
        if not top.is_dir():
            continue
        # Bottom-up; os.walk skips what vanishes meanwhile (a runtime removing its own cgroups).
        for parent, _, _ in os.walk(top, topdown=False):
            _rmdir(Path(parent))


def _rmdir(d: Path) -> None:
    try:
        d.rmdir()
    except FileNotFoundError:
        pass
    except OSError as err:
        log.warning("could not remove a cgroup", extra={"cgroup": str(d), "error": str(err)})


@dataclass(slots=True)
class PodResources:
    cpu_shares: int = 2
    cpu_quota: int = 0  # 0: none
    cpu_period: int = 100_000
    memory_limit: int = 0  # 0: none
    pids_limit: int = 0  # 0: none


def _sum_max(pod: dict[str, Any], resource: str, kind: str) -> tuple[int, bool]:
    """(the pod's amount, in milli-units, and whether every container declares it)."""
    spec = pod.get("spec") or {}
    declared = True

    def amount(c: dict[str, Any]) -> int:
        nonlocal declared
        r = c.get("resources") or {}
        values = (
            {**(r.get("limits") or {}), **(r.get("requests") or {})}
            if kind == "requests"
            else r.get(kind) or {}
        )
        if resource not in values:
            declared = False
            return 0
        return parse_quantity(values[resource]).milli_value()

    apps = sum(amount(c) for c in spec.get("containers") or [])
    inits = max((amount(c) for c in spec.get("initContainers") or []), default=0)
    return max(apps, inits), declared


def pod_resources(pod: dict[str, Any], pids_limit: int = 0) -> PodResources:
    out = PodResources(pids_limit=max(pids_limit, 0))
    if qos_class(pod) == "BestEffort":
        return out
    cpu_request, _ = _sum_max(pod, "cpu", "requests")
    out.cpu_shares = max(2, cpu_request * 1024 // 1000)
    cpu_limit, all_cpu = _sum_max(pod, "cpu", "limits")
    if all_cpu and cpu_limit:
        out.cpu_quota = max(1000, cpu_limit * out.cpu_period // 1000)
    memory, all_memory = _sum_max(pod, "memory", "limits")
    if all_memory and memory:
        out.memory_limit = memory // 1000
    return out


def _v1_files(r: PodResources) -> dict[str, dict[str, int]]:
    files: dict[str, dict[str, int]] = {"cpu": {"cpu.shares": r.cpu_shares}, "memory": {}, "pids": {}}
    if r.cpu_quota:
        files["cpu"] |= {"cpu.cfs_period_us": r.cpu_period, "cpu.cfs_quota_us": r.cpu_quota}
    if r.memory_limit:
        files["memory"]["memory.limit_in_bytes"] = r.memory_limit
    if r.pids_limit:
        files["pids"]["pids.max"] = r.pids_limit
    return files


def _v2_files(r: PodResources) -> dict[str, str]:
    files = {"cpu.weight": str(1 + ((r.cpu_shares - 2) * 9999) // 262142)}
    if r.cpu_quota:
        files["cpu.max"] = f"{r.cpu_quota} {r.cpu_period}"
    if r.memory_limit:
        files["memory.max"] = str(r.memory_limit)
    if r.pids_limit:
        files["pids.max"] = str(r.pids_limit)
    return files


def ensure_pod_cgroup(path: str, r: PodResources, base: Path = CGROUP_FS) -> None:
    """Create the pod's cgroup (and its parents) and write its limits; idempotent."""
    if (base / "cgroup.controllers").exists():
        top = base / path.lstrip("/")
        top.mkdir(parents=True, exist_ok=True)
        for parent in reversed(top.relative_to(base).parents):
            _write(base / parent / "cgroup.subtree_control", "+cpu +memory +pids")
        for name, value in _v2_files(r).items():
            _write(top / name, value)
        return
    for controller, files in _v1_files(r).items():
        hierarchy = base / controller
        if not hierarchy.is_dir():
            continue
        d = hierarchy / path.lstrip("/")
        d.mkdir(parents=True, exist_ok=True)
        for fname, amount in files.items():
            _write(d / fname, str(amount))


def _write(f: Path, value: str) -> None:
    try:
        f.write_text(value)
    except OSError as err:
        log.warning("could not set a pod cgroup limit", extra={"file": str(f), "error": str(err)})
