"""NodePorts (PreFilter, Filter): a node fits only if every hostPort the pod asks for is free
there (same protocol and port on the same address, or on 0.0.0.0 which takes them all).
A pod without host ports skips the filter."""

from __future__ import annotations

from typing import Any, ClassVar

from kubelite.api.types import Object
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.events import (
    ASSIGNED_POD_DELETE,
    ActionType,
    ClusterEvent,
    ClusterEventWithHint,
    EventResource,
)
from kubelite.scheduler.framework.events import QueueingHint as Hint
from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.interface import PreFilterResult
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo

ERR_REASON = "node(s) didn't have free ports for the requested pod ports"


class NodePorts:
    NAME: ClassVar[str] = "NodePorts"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        pass

    def pre_filter(
        self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
    ) -> tuple[PreFilterResult | None, Status | None]:
        if not pod.host_ports:
            return None, Status.skip()
        return None, None

    def pre_filter_extensions(self) -> None:
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.used_ports:
            return None
        for hp in pod.host_ports:
            if node.port_conflict(hp):
                return Status.unschedulable(ERR_REASON)
        return None

    def events_to_register(self) -> list[ClusterEventWithHint]:
        return [
            ClusterEventWithHint(ASSIGNED_POD_DELETE, _freed_a_port),
            ClusterEventWithHint(ClusterEvent(EventResource.NODE, ActionType.ADD | ActionType.update())),
        ]


def _ports(pod: Object | None) -> set[tuple[str, int]]:
    out = set()
    for c in ((pod or {}).get("spec") or {}).get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("hostPort"):
                out.add((p.get("protocol") or "TCP", int(p["hostPort"])))
    return out


def _freed_a_port(pod: Object, old: Object | None, new: Object | None) -> Hint:
    return Hint.QUEUE if _ports(pod) & _ports(old) else Hint.SKIP
