"""Taints and tolerations: which toleration tolerates which taint, as Kubernetes decides it.

The scheduler's TaintToleration plugin and the taint eviction controller both ask the same
question of a pod's tolerations, so the answer lives here, below both:

    toleration {key, operator Equal|Exists, value, effect, tolerationSeconds}
    tolerates a taint {key, value, effect} when
        its effect is empty or equal, its key is empty or equal, and
        operator Exists, or operator Equal (the default) with equal values.
"""

from __future__ import annotations

from kubelite.api.types import Object


def tolerates(toleration: Object, taint: Object) -> bool:
    """Kubernetes' Toleration.ToleratesTaint."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    return op == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def tolerates_any(tolerations: list[Object], taint: Object) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def matching_tolerations(taints: list[Object], tolerations: list[Object]) -> list[Object] | None:
    """The tolerations used to tolerate every taint, or None when some taint is not tolerated
    (Kubernetes' GetMatchingTolerations)."""
    used: list[Object] = []
    for taint in taints:
        found = [t for t in tolerations if tolerates(t, taint)]
        if not found:
            return None
        used += found
    return used


def same_taint(a: Object, b: Object) -> bool:
    """Two taints are the same taint when key and effect match (Taint.MatchTaint)."""
    return a.get("key") == b.get("key") and a.get("effect") == b.get("effect")


def has_taint(taints: list[Object], taint: Object) -> bool:
    return any(same_taint(t, taint) for t in taints)
