"""NodeUnschedulable (Filter): a cordoned node (`kubectl cordon`, spec.unschedulable) refuses
pods unless they tolerate the node.kubernetes.io/unschedulable:NoSchedule taint."""

from __future__ import annotations

from typing import Any, ClassVar

from kubelite.api.taints import tolerates_any
from kubelite.api.types import Object
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.events import ActionType, ClusterEvent, ClusterEventWithHint, EventResource
from kubelite.scheduler.framework.events import QueueingHint as Hint
from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo

UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
ERR_REASON = "node(s) were unschedulable"


class NodeUnschedulable:
    NAME: ClassVar[str] = "NodeUnschedulable"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        pass

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.unschedulable:
            return None
        if tolerates_any(pod.spec.get("tolerations") or [], UNSCHEDULABLE_TAINT):
            return None
        return Status.unresolvable(ERR_REASON)

    def events_to_register(self) -> list[ClusterEventWithHint]:
        return [
            ClusterEventWithHint(
                ClusterEvent(EventResource.NODE, ActionType.ADD | ActionType.UPDATE_NODE_TAINT),
                _schedulable_now,
            )
        ]


def _schedulable_now(pod: Object, old: Object | None, new: Object | None) -> Hint:
    if new is None:
        return Hint.SKIP
    was = old is not None and not (old.get("spec") or {}).get("unschedulable")
    now = not (new.get("spec") or {}).get("unschedulable")
    return Hint.QUEUE if now and not was else Hint.SKIP
