"""RollingUpdate of a DaemonSet: replace old pods node by node within the budgets.

With maxSurge 0 (the default), old pods are deleted so that at most maxUnavailable nodes
lack an available daemon pod; the manage step then creates the new pod on each emptied
node. Nodes whose old pod is not available anyway are replaced at once.

With maxSurge > 0, a new pod is started next to an available old one on at most maxSurge
nodes at a time (at once where the old pod is unavailable), and the old pod is deleted
once the new one is available.

Both budgets are percentages of desiredNumberScheduled or absolute numbers; a percentage
rounds up; both 0 means maxUnavailable 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubelite.api.intstr import scaled_value
from kubelite.api.pods import is_available, is_deleting
from kubelite.api.types import Object
from kubelite.controllers.daemonset.status import is_updated


@dataclass(slots=True)
class Plan:
    delete: list[Object] = field(default_factory=list)
    create_on: list[str] = field(default_factory=list)


def budgets(ds: Object, desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) for `desired` nodes."""
    rolling = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
    surge = scaled_value(rolling.get("maxSurge", 0), desired, round_up=True)
    unavailable = scaled_value(rolling.get("maxUnavailable", 1), desired, round_up=True)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def allows_surge(ds: Object) -> bool:
    rolling = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
    surge = rolling.get("maxSurge", 0)
    return surge not in (0, "0", "0%", None)


def split_node(
    pods: list[Object], revision_hash: str, generation: int
) -> tuple[Object | None, Object | None, bool]:
    """(new pod, old pod, ok) of one node; not ok when a node has two of a kind."""
    new = old = None
    for pod in pods:
        if is_deleting(pod):
            continue
        if is_updated(pod, revision_hash, generation):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


def plan_without_surge(
    ds: Object, by_node: dict[str, list[Object]], revision_hash: str, max_unavailable: int, now: float
) -> Plan:
    min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
    generation = int(ds["metadata"].get("generation") or 0)
    unavailable = 0
    replace: list[Object] = []
    candidates: list[Object] = []
    for node in sorted(by_node):
        new, old, ok = split_node(by_node[node], revision_hash, generation)
        if not ok or (new is None) == (old is None):
            unavailable += 1
        elif new is not None:
            unavailable += 0 if is_available(new, min_ready, now) else 1
        elif old is not None and not is_available(old, min_ready, now):
            replace.append(old)
            unavailable += 1
        elif old is not None and unavailable < max_unavailable:
            candidates.append(old)
    room = min(max(max_unavailable - unavailable, 0), len(candidates))
    return Plan(delete=replace + candidates[:room])


def plan_with_surge(
    ds: Object,
    by_node: dict[str, list[Object]],
    revision_hash: str,
    max_surge: int,
    now: float,
    runs: dict[str, bool],
) -> Plan:
    min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
    generation = int(ds["metadata"].get("generation") or 0)
    plan = Plan()
    surging = 0
    allowed: list[str] = []
    candidates: list[str] = []
    for node in sorted(by_node):
        new, old, ok = split_node(by_node[node], revision_hash, generation)
        if not ok:
            surging += 1
            continue
        if old is None:
            continue
        if new is None:
            if not is_available(old, min_ready, now):
                if not runs.get(node, False):
                    plan.delete.append(old)
                else:
                    allowed.append(node)
            elif surging < max_surge:
                candidates.append(node)
        elif not is_available(new, min_ready, now):
            surging += 1
        else:
            plan.delete.append(old)
    room = min(max(max_surge - surging, 0), len(candidates))
    plan.create_on = allowed + candidates[:room]
    return plan
