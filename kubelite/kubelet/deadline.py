"""activeDeadlineSeconds: how long a pod may be active on the node, counted from its
status.startTime (the kubelet's first sight of it). Past it, the pod worker stops the
pod's containers and the pod ends Failed with reason DeadlineExceeded, whatever its
containers' exit codes, as Kubernetes' kubelet does; a pod with no deadline runs on.
"""

from __future__ import annotations

from kubelite.api.meta import parse_time
from kubelite.api.types import Object

REASON = "DeadlineExceeded"
MESSAGE = "Pod was active on the node longer than the specified deadline"


def remaining(pod: Object, start_time: str, now: float) -> float | None:
    """Seconds left before the deadline (<= 0: past it); None without a deadline."""
    deadline = (pod.get("spec") or {}).get("activeDeadlineSeconds")
    if deadline is None or not start_time:
        return None
    started = parse_time(start_time).timestamp()
    return started + int(deadline) - now
