"""SchedulingGates (PreEnqueue): pods are held while spec.schedulingGates is not empty.

Whoever added a gate removes it when the pod may be scheduled; the update brings the pod
into the active queue (the queue re-runs PreEnqueue on every update of a gated pod).
"""

from __future__ import annotations

from typing import Any, ClassVar

from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import PodInfo


class SchedulingGates:
    NAME: ClassVar[str] = "SchedulingGates"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        pass

    def pre_enqueue(self, pod: PodInfo) -> Status | None:
        gates = pod.spec.get("schedulingGates") or []
        if not gates:
            return None
        names = " ".join(g.get("name", "") for g in gates)
        return Status.unresolvable(f"waiting for scheduling gates: [{names}]")
