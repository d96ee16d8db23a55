"""NodeName (Filter): if the pod names a node, only that node fits."""

from __future__ import annotations

from typing import Any, ClassVar

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.events import ActionType, ClusterEvent, ClusterEventWithHint, EventResource
from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.interface import PreFilterResult
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo

ERR_REASON = "node(s) didn't match the requested node name"


class NodeName:
    NAME: ClassVar[str] = "NodeName"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        pass

    def pre_filter(
        self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
    ) -> tuple[PreFilterResult | None, Status | None]:
        # Pods naming no node (all the queue holds) skip the filter: kubelite's shortcut,
        # not observable (Kubernetes' NodeName has no PreFilter and passes such pods).
        return None, (None if pod.spec.get("nodeName") else Status.skip())

    def pre_filter_extensions(self) -> None:
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        wanted = pod.spec.get("nodeName")
        if not wanted or wanted == node.name:
            return None
        return Status.unresolvable(ERR_REASON)

    def events_to_register(self) -> list[ClusterEventWithHint]:
        return [ClusterEventWithHint(ClusterEvent(EventResource.NODE, ActionType.ADD))]
