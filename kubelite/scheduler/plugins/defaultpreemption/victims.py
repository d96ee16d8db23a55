"""Choosing victims on one node, and the best node to preempt on.

On a candidate node, every pod of lower priority than the preemptor is removed (in a copy of
the node); if the preemptor then fits, pods are given back one at a time, most important
first - those whose eviction would violate a PodDisruptionBudget before the others - and
each that still leaves room stays. What cannot be given back are the victims.

Among nodes with victims, the best is the one with, in order: the fewest budget violations,
the lowest highest-priority victim, the smallest sum of victim priorities, the fewest
victims, the latest start time of its highest-priority victims; then the first in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kubelite.api.meta import parse_time
from kubelite.api.selectors import selector_from_label_selector_object
from kubelite.api.types import Object
from kubelite.scheduler.framework.types import PodInfo

_MAX_INT32 = 2**31 - 1


@dataclass(slots=True)
class Victims:
    pods: list[PodInfo]
    num_pdb_violations: int


def start_time(p: PodInfo) -> float:
    raw = (p.pod.get("status") or {}).get("startTime") or p.pod["metadata"].get("creationTimestamp")
    if not raw:
        return 0.0
    try:
        return parse_time(raw).timestamp()
    except ValueError:
        return 0.0


def more_important(a: PodInfo, b: PodInfo) -> bool:
    """Higher priority first; equal priority: the one running longer (earlier start)."""
    if a.priority != b.priority:
        return a.priority > b.priority
    return start_time(a) < start_time(b)


def importance_key(p: PodInfo) -> tuple[int, float]:
    return (-p.priority, start_time(p))


def split_by_pdb_violation(pods: list[PodInfo], pdbs: list[Object]) -> tuple[list[PodInfo], list[PodInfo]]:
    """(pods whose eviction would violate a budget, the others), keeping order."""
    allowed = [int((p.get("status") or {}).get("disruptionsAllowed") or 0) for p in pdbs]
    violating: list[PodInfo] = []
    fine: list[PodInfo] = []
    for pi in pods:
        violated = False
        if pi.labels:
            for i, pdb in enumerate(pdbs):
                if pdb["metadata"].get("namespace") != pi.namespace:
                    continue
                try:
                    sel = selector_from_label_selector_object((pdb.get("spec") or {}).get("selector"))
                except Exception:
                    continue
                if sel.empty or not sel.matches(pi.labels):
                    continue
                if pi.name in ((pdb.get("status") or {}).get("disruptedPods") or {}):
                    continue
                allowed[i] -= 1
                if allowed[i] < 0:
                    violated = True
        (violating if violated else fine).append(pi)
    return violating, fine


def pick_one_node(candidates: dict[str, Victims], order: list[str]) -> str:
    """The best node to preempt on (criteria in the module docstring)."""
    if not candidates:
        return ""

    def earliest_start(v: Victims) -> float:
        top = v.pods[0].priority
        return min(start_time(p) for p in v.pods if p.priority == top)

    criteria: list[Callable[[str], float]] = [
        lambda n: -candidates[n].num_pdb_violations,
        lambda n: -candidates[n].pods[0].priority,
        lambda n: -sum(p.priority + _MAX_INT32 + 1 for p in candidates[n].pods),
        lambda n: -len(candidates[n].pods),
        lambda n: earliest_start(candidates[n]),
    ]
    remaining = [n for n in order if n in candidates]
    for score in criteria:
        best = max(score(n) for n in remaining)
        remaining = [n for n in remaining if score(n) == best]
        if len(remaining) == 1:
            return remaining[0]
    return remaining[0]
