"""Pod cgroups: where the kubelet asks the runtime to put each pod, and their removal.

As Kubernetes' kubelet with `cgroupsPerQOS` and the cgroupfs driver, every pod gets a
cgroup under its QoS class, named in its sandbox config (`linux.cgroup_parent`):

    <cgroup root>/kubepods/pod<uid>                  Guaranteed
    <cgroup root>/kubepods/burstable/pod<uid>        Burstable
    <cgroup root>/kubepods/besteffort/pod<uid>       BestEffort

The runtime (runc) creates the directories as the pod's sandbox and containers start, and
removes only the containers' own; the kubelet removes the pod's once the pod's sandboxes
are gone. Runtimes read pod-level stats from it (containerd has none without it).
Kubernetes' kubelet also sets the pod's summed limits on that cgroup; kubelite does not yet.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from kubelite.api.pods import qos_class

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
