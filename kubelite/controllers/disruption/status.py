"""A PodDisruptionBudget's status: how many pods it expects, needs healthy and may lose.

    expectedPods        minAvailable as a number: the pods the selector matches; a
                        percentage or maxUnavailable: the sum of the scales (spec.replicas)
                        of the controllers owning those pods
    desiredHealthy      minAvailable (a percentage of expectedPods, rounded up), or
                        expectedPods - maxUnavailable (a percentage rounded up), at least 0
    currentHealthy      matching pods Ready, not being deleted, not recently evicted
    disruptionsAllowed  currentHealthy - desiredHealthy, never below 0 (0 when nothing is
                        expected)
    disruptedPods       pods the eviction API is deleting (name → when), kept for 2
                        minutes so they are not counted healthy meanwhile; a pod still
                        there after that gets a NotDeleted event and is counted again
    conditions          DisruptionAllowed: True SufficientPods / False InsufficientPods,
                        or False SyncFailed with the error when the status cannot be
                        computed (then disruptionsAllowed is 0: fail safe)

The eviction subresource reads this status and charges it (disruptionsAllowed - 1, the
pod added to disruptedPods) by a compare-and-swap write, so concurrent evictions cannot
overdraw the budget.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from kubelite.api.intstr import scaled_value
from kubelite.api.meta import format_wall, parse_time
from kubelite.api.pods import is_ready
from kubelite.api.types import Object

DISRUPTION_ALLOWED = "DisruptionAllowed"
SUFFICIENT_PODS, INSUFFICIENT_PODS, SYNC_FAILED = "SufficientPods", "InsufficientPods", "SyncFailed"
DELETION_TIMEOUT = 120.0  # a pod the eviction API deleted is expected gone within 2 minutes


@dataclass(slots=True)
class Disrupted:
    pods: dict[str, str]  # name -> RFC 3339 time of the eviction
    recheck_at: float | None  # when the earliest of them expires
    not_deleted: list[Object]  # pods past the timeout that are still there


def disrupted_pods(pdb: Object, pods: list[Object], now: float) -> Disrupted:
    recorded = (pdb.get("status") or {}).get("disruptedPods") or {}
    out = Disrupted({}, None, [])
    for pod in pods:
        name = pod["metadata"]["name"]
        if pod["metadata"].get("deletionTimestamp") or name not in recorded:
            continue
        expires = parse_time(recorded[name]).timestamp() + DELETION_TIMEOUT
        if expires <= now:  # (at the very instant too: a recheck then must not find it pending)
            out.not_deleted.append(pod)
            continue
        out.pods[name] = recorded[name]
        if out.recheck_at is None or expires < out.recheck_at:
            out.recheck_at = expires
    return out


def current_healthy(pods: list[Object], disrupted: dict[str, str], now: float) -> int:
    healthy = 0
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        when = disrupted.get(pod["metadata"]["name"])
        if when is not None and parse_time(when).timestamp() + DELETION_TIMEOUT > now:
            continue
        if is_ready(pod):
            healthy += 1
    return healthy


def desired(pdb: Object, pod_count: int, expected_scale: int | None) -> tuple[int, int]:
    """(expectedPods, desiredHealthy); `expected_scale` is the owning controllers' total,
    needed (not None) unless minAvailable is a number."""
    spec = pdb.get("spec") or {}
    if spec.get("maxUnavailable") is not None:
        assert expected_scale is not None
        unavailable = scaled_value(spec["maxUnavailable"], expected_scale, True)
        return expected_scale, max(0, expected_scale - unavailable)
    min_available = spec.get("minAvailable")
    if min_available is None:
        return 0, 0
    if isinstance(min_available, int):
        return pod_count, min_available
    assert expected_scale is not None
    return expected_scale, scaled_value(min_available, expected_scale, True)


def needs_scale(pdb: Object) -> bool:
    spec = pdb.get("spec") or {}
    return spec.get("maxUnavailable") is not None or isinstance(spec.get("minAvailable"), str)


def set_condition(conditions: list[Object], cond: Object, now: float) -> list[Object]:
    """metav1.Condition semantics: lastTransitionTime moves only when the status does."""
    out = copy.deepcopy(conditions)
    for existing in out:
        if existing.get("type") == cond["type"]:
            if existing.get("status") != cond["status"]:
                existing["lastTransitionTime"] = format_wall(now)
            existing.update(
                status=cond["status"],
                reason=cond["reason"],
                message=cond.get("message", ""),
                observedGeneration=cond.get("observedGeneration", 0),
            )
            return out
    out.append({**cond, "message": cond.get("message", ""), "lastTransitionTime": format_wall(now)})
    return out


def allowed_condition(status: Object) -> Object:
    allowed = status.get("disruptionsAllowed", 0) > 0
    return {
        "type": DISRUPTION_ALLOWED,
        "status": "True" if allowed else "False",
        "reason": SUFFICIENT_PODS if allowed else INSUFFICIENT_PODS,
        "observedGeneration": status.get("observedGeneration", 0),
    }


def conditions_up_to_date(status: Object) -> bool:
    cond = next((c for c in status.get("conditions") or [] if c.get("type") == DISRUPTION_ALLOWED), None)
    if cond is None or cond.get("observedGeneration") != status.get("observedGeneration"):
        return False
    want = allowed_condition(status)
    return bool(cond.get("status") == want["status"] and cond.get("reason") == want["reason"])


def new_status(
    pdb: Object, healthy: int, wanted: int, expected: int, disrupted: dict[str, str], now: float
) -> Object:
    allowed = healthy - wanted
    if expected <= 0 or allowed <= 0:
        allowed = 0
    status: Object = {
        "currentHealthy": healthy,
        "desiredHealthy": wanted,
        "expectedPods": expected,
        "disruptionsAllowed": allowed,
        "observedGeneration": pdb["metadata"].get("generation", 0),
    }
    if disrupted:
        status["disruptedPods"] = dict(disrupted)
    old_conditions = (pdb.get("status") or {}).get("conditions") or []
    status["conditions"] = set_condition(old_conditions, allowed_condition(status), now)
    return status


def unchanged(pdb: Object, status: Object) -> bool:
    old = pdb.get("status") or {}
    fields = ("currentHealthy", "desiredHealthy", "expectedPods", "disruptionsAllowed")
    return (
        all(old.get(f, 0) == status[f] for f in fields)
        and (old.get("disruptedPods") or {}) == (status.get("disruptedPods") or {})
        and old.get("observedGeneration", 0) == status["observedGeneration"]
        and conditions_up_to_date(old)
    )
