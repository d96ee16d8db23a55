"""NodeResourcesFit (PreFilter, Filter, PreScore, Score).

Filter: the pod's requests - containers summed, the largest init container (sidecars
added), overhead - must fit in the node's allocatable minus what its pods already request,
for cpu, memory, ephemeral storage and every extended resource the pod asks for, and the
node must have room for one more pod. Every shortfall is a reason ("Insufficient cpu",
"Insufficient memory", "Insufficient example.com/gpu", "Too many pods"); all are
Unschedulable, so preemption may help. `ignoredResources` / `ignoredResourceGroups` leave
extended resources out of the check.

Score: by the scoring strategy (`scoringStrategy.type`: LeastAllocated by default,
MostAllocated, RequestedToCapacityRatio), see scoring.py.
"""

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
from kubelite.scheduler.framework.types import NodeInfo, PodInfo, Resource
from kubelite.scheduler.plugins.noderesources.scoring import (
    ResourceSpec,
    allocatable_and_requested,
    fast_cpu_memory,
    least_allocated,
    most_allocated,
    parse_resources,
    pod_request_list,
    requested_to_capacity_ratio,
)

_PRE_SCORE_KEY = "PreScoreNodeResourcesFit"
STRATEGIES = ("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio")


def insufficient(
    request: Resource,
    node: NodeInfo,
    ignored: frozenset[str] = frozenset(),
    ignored_groups: frozenset[str] = frozenset(),
) -> list[str]:
    """The reasons `request` does not fit on `node` (empty if it fits)."""
    reasons = []
    if len(node.pods) + 1 > node.allocatable.allowed_pods:
        reasons.append("Too many pods")
    if not (request.milli_cpu or request.memory or request.ephemeral_storage or request.scalar):
        return reasons
    alloc, used = node.allocatable, node.requested
    if alloc.milli_cpu < request.milli_cpu + used.milli_cpu:
        reasons.append("Insufficient cpu")
    if alloc.memory < request.memory + used.memory:
        reasons.append("Insufficient memory")
    if alloc.ephemeral_storage < request.ephemeral_storage + used.ephemeral_storage:
        reasons.append("Insufficient ephemeral-storage")
    for name, amount in request.scalar.items():
        if name in ignored or name.split("/", 1)[0] in ignored_groups:
            continue
        if alloc.scalar.get(name, 0) < amount + used.scalar.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return reasons


class Fit:
    NAME: ClassVar[str] = "NodeResourcesFit"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        args = args or {}
        self.ignored = frozenset(args.get("ignoredResources") or ())
        self.ignored_groups = frozenset(args.get("ignoredResourceGroups") or ())
        strategy = args.get("scoringStrategy") or {}
        kind = strategy.get("type") or "LeastAllocated"
        if kind not in STRATEGIES:
            raise ValueError(
                f'scoringStrategy.type: Unsupported value: "{kind}": supported values: '
                + ", ".join(f'"{s}"' for s in STRATEGIES)
            )
        self.resources: tuple[ResourceSpec, ...] = parse_resources(strategy.get("resources"))
        if kind == "LeastAllocated":
            self.scorer = least_allocated(self.resources)
        elif kind == "MostAllocated":
            self.scorer = most_allocated(self.resources)
        else:
            shape = (strategy.get("requestedToCapacityRatio") or {}).get("shape") or []
            self.scorer = requested_to_capacity_ratio(self.resources, shape)
        self.strategy = kind
        self._fast = fast_cpu_memory(kind, self.resources)

    # ---- filter ----

    def pre_filter(
        self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
    ) -> tuple[PreFilterResult | None, Status | None]:
        return None, None  # the pod's requests are computed once, in its PodInfo

    def pre_filter_extensions(self) -> None:
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        r = pod.requests
        alloc, used = node.allocatable, node.requested
        # The common case in one pass; the full check (and its messages) only on a shortfall.
        if (
            len(node.pods) < alloc.allowed_pods
            and r.milli_cpu + used.milli_cpu <= alloc.milli_cpu
            and r.memory + used.memory <= alloc.memory
            and r.ephemeral_storage + used.ephemeral_storage <= alloc.ephemeral_storage
            and not r.scalar
        ):
            return None
        reasons = insufficient(r, node, self.ignored, self.ignored_groups)
        return Status.unschedulable(*reasons) if reasons else None

    # ---- score ----

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        state.write(_PRE_SCORE_KEY, pod_request_list(pod, self.resources, use_requested=False))
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        reqs = state.get(_PRE_SCORE_KEY)
        if reqs is None:
            reqs = pod_request_list(pod, self.resources, use_requested=False)
        allocs, requested = allocatable_and_requested(node, self.resources, reqs, use_requested=False)
        return self.scorer(requested, allocs)

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        if self._fast is not None:
            return self._fast(pod, nodes)
        return [self.score(state, pod, n) for n in nodes]

    def events_to_register(self) -> list[ClusterEventWithHint]:
        return [
            ClusterEventWithHint(ASSIGNED_POD_DELETE),
            ClusterEventWithHint(ClusterEvent(EventResource.ASSIGNED_POD, ActionType.UPDATE_POD_SCALE_DOWN)),
            ClusterEventWithHint(
                ClusterEvent(EventResource.NODE, ActionType.ADD | ActionType.UPDATE_NODE_ALLOCATABLE),
                _may_fit_now,
            ),
        ]


def _may_fit_now(pod: Object, old: Object | None, new: Object | None) -> Hint:
    if new is None:
        return Hint.SKIP
    probe = NodeInfo(new)
    return Hint.SKIP if insufficient(PodInfo(pod).requests, probe) else Hint.QUEUE
