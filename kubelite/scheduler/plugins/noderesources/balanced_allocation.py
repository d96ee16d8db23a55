"""NodeResourcesBalancedAllocation (PreScore, Score): prefer nodes whose resources would be
used in even proportions once the pod is placed.

For each scored resource the fraction requested/allocatable (capped at 1) is taken with the
pod's actual requests (no non-zero defaults); the score is (1 - standard deviation of the
fractions) × 100. With two resources the deviation is |a - b| / 2.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo
from kubelite.scheduler.plugins.noderesources.scoring import (
    ResourceSpec,
    allocatable_and_requested,
    parse_resources,
    pod_request_list,
)

_PRE_SCORE_KEY = "PreScoreNodeResourcesBalancedAllocation"


def balanced_score(requested: list[int], allocatable: list[int]) -> int:
    fractions = [min(req / cap, 1.0) for req, cap in zip(requested, allocatable, strict=True) if cap]
    if len(fractions) == 2:
        std = abs(fractions[0] - fractions[1]) / 2
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    else:
        std = 0.0
    return int((1 - std) * MAX_NODE_SCORE)


class BalancedAllocation:
    NAME: ClassVar[str] = "NodeResourcesBalancedAllocation"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        self.resources: tuple[ResourceSpec, ...] = parse_resources((args or {}).get("resources"))

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        state.write(_PRE_SCORE_KEY, pod_request_list(pod, self.resources, use_requested=True))
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        reqs = state.get(_PRE_SCORE_KEY)
        if reqs is None:
            reqs = pod_request_list(pod, self.resources, use_requested=True)
        allocs, requested = allocatable_and_requested(node, self.resources, reqs, use_requested=True)
        return balanced_score(requested, allocs)

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        if [r.name for r in self.resources] != ["cpu", "memory"]:
            return [self.score(state, pod, n) for n in nodes]
        pc, pm = pod.requests.milli_cpu, pod.requests.memory
        out = []
        for n in nodes:
            alloc, used = n.allocatable, n.requested
            cap_c, cap_m = alloc.milli_cpu, alloc.memory
            if cap_c and cap_m:
                fc = min((used.milli_cpu + pc) / cap_c, 1.0)
                fm = min((used.memory + pm) / cap_m, 1.0)
                out.append(int((1 - abs(fc - fm) / 2) * MAX_NODE_SCORE))
            else:
                out.append(MAX_NODE_SCORE)  # one resource or none: no deviation
        return out
