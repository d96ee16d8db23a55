"""Which pods a ReplicaSet deletes first when it has too many: Kubernetes' ranking.

Pods are compared criterion by criterion; the first that differs decides, and the pod
that sorts first is deleted first:

    1. not scheduled to a node            before scheduled
    2. phase Pending                      before Unknown, before Running
    3. not Ready                          before Ready
    4. lower pod-deletion-cost            before higher (annotation
                                          controller.kubernetes.io/pod-deletion-cost)
    5. more pods of the same owner family before fewer ("doubled up": the rank is the
       on its node                        number of active pods on the pod's node owned by
                                          ReplicaSets of the same Deployment)
    6. Ready for a shorter time           before longer, compared in log2 buckets of the
                                          age, ties broken by uid (LogarithmicScaleDown)
    7. more container restarts            before fewer (regular containers, then
                                          restartable init containers)
    8. created more recently              before earlier, in log2 buckets, ties by uid

The log2 buckets keep scale-down from always removing the very newest pods (which would
make the same pods churn), while still favouring young ones.
"""

from __future__ import annotations

import functools
import math
from collections import Counter

from kubelite.api.meta import parse_time
from kubelite.api.pods import is_ready, ready_since
from kubelite.api.types import Object

DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost"
_PHASE_ORDER = {"Pending": 0, "Unknown": 1, "Running": 2}


def deletion_cost(pod: Object) -> int:
    """The pod's deletion cost: an int32 annotation, 0 when absent or malformed."""
    raw = (pod["metadata"].get("annotations") or {}).get(DELETION_COST_ANNOTATION)
    try:
        value = int(raw) if raw is not None else 0
    except ValueError:
        return 0
    return value if -(2**31) <= value < 2**31 else 0


def max_restarts(pod: Object) -> tuple[int, int]:
    """(most restarts of a regular container, of a restartable init container)."""
    status = pod.get("status") or {}
    regular = max((c.get("restartCount", 0) for c in status.get("containerStatuses") or []), default=0)
    sidecars = {
        c["name"]
        for c in (pod.get("spec") or {}).get("initContainers") or []
        if c.get("restartPolicy") == "Always"
    }
    sidecar = max(
        (
            c.get("restartCount", 0)
            for c in status.get("initContainerStatuses") or []
            if c.get("name") in sidecars
        ),
        default=0,
    )
    return regular, sidecar


def _seconds(stamp: str) -> float | None:
    return parse_time(stamp).timestamp() if stamp else None


def _log_bucket(t: float, now: float) -> int:
    age_ns = (now - t) * 1e9
    return int(math.log2(age_ns)) if age_ns > 0 else -1


def _newer_first(a: float | None, b: float | None, uid_a: str, uid_b: str, now: float) -> int | None:
    """<0 when the pod with time `a` goes first: an empty time first, then the newer, in
    log2 buckets of age with the uid as tie-breaker. None when the times are equal."""
    if a == b:
        return None
    if a is None or b is None:
        return -1 if a is None else 1
    diff = _log_bucket(a, now) - _log_bucket(b, now)
    if diff == 0:
        return -1 if uid_a < uid_b else 1
    return diff


def _compare(a: tuple[Object, int], b: tuple[Object, int], now: float) -> int:
    (pa, rank_a), (pb, rank_b) = a, b
    node_a, node_b = (pa.get("spec") or {}).get("nodeName"), (pb.get("spec") or {}).get("nodeName")
    if node_a != node_b and (not node_a or not node_b):
        return -1 if not node_a else 1
    phase_a = _PHASE_ORDER.get((pa.get("status") or {}).get("phase", ""), 0)
    phase_b = _PHASE_ORDER.get((pb.get("status") or {}).get("phase", ""), 0)
    if phase_a != phase_b:
        return phase_a - phase_b
    ready_a, ready_b = is_ready(pa), is_ready(pb)
    if ready_a != ready_b:
        return -1 if not ready_a else 1
    if (cost := deletion_cost(pa) - deletion_cost(pb)) != 0:
        return cost
    if rank_a != rank_b:
        return rank_b - rank_a
    uid_a, uid_b = pa["metadata"].get("uid", ""), pb["metadata"].get("uid", "")
    if ready_a and ready_b:
        by_ready = _newer_first(_seconds(ready_since(pa)), _seconds(ready_since(pb)), uid_a, uid_b, now)
        if by_ready is not None:
            return by_ready
    restarts_a, restarts_b = max_restarts(pa), max_restarts(pb)
    if restarts_a != restarts_b:
        return -1 if restarts_a > restarts_b else 1
    created_a = _seconds(pa["metadata"].get("creationTimestamp", ""))
    created_b = _seconds(pb["metadata"].get("creationTimestamp", ""))
    return _newer_first(created_a, created_b, uid_a, uid_b, now) or 0


def ranks_by_related_pods_on_node(pods: list[Object], related: list[Object]) -> list[int]:
    """For each pod, how many active related pods share its node."""
    on_node = Counter(
        (p.get("spec") or {}).get("nodeName", "")
        for p in related
        if not p["metadata"].get("deletionTimestamp")
        and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    )
    return [on_node[(p.get("spec") or {}).get("nodeName", "")] for p in pods]


def pods_to_delete(pods: list[Object], related: list[Object], count: int, now: float) -> list[Object]:
    """The `count` pods to delete first (all of them when `count` covers them all)."""
    if count >= len(pods):
        return list(pods)
    ranked = list(zip(pods, ranks_by_related_pods_on_node(pods, related), strict=True))

    def compare(a: tuple[Object, int], b: tuple[Object, int]) -> int:
        return _compare(a, b, now)

    ranked.sort(key=functools.cmp_to_key(compare))
    return [p for p, _ in ranked[:count]]
