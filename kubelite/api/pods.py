"""Pods: the facts every component reads off a pod object.

The API server (status.qosClass on create), the kubelet, and later the scheduler and the
controllers all ask the same questions of a pod - is it terminal, being deleted, a mirror of
a static pod, which QoS class - so the answers live here, once.
"""

from __future__ import annotations

from typing import Any

from kubelite.api.meta import parse_time
from kubelite.api.quantity import Quantity, QuantityError, parse_quantity
from kubelite.api.types import Object

# Annotations of static pods and their mirrors (Kubernetes' names).
CONFIG_SOURCE = "kubernetes.io/config.source"
CONFIG_HASH = "kubernetes.io/config.hash"
CONFIG_MIRROR = "kubernetes.io/config.mirror"
CONFIG_SEEN = "kubernetes.io/config.seen"

DEFAULT_TERMINATION_GRACE_SECONDS = 30
_QOS_RESOURCES = ("cpu", "memory")


def full_name(pod: Object) -> str:
    """`name_namespace`, the kubelet's name for a pod in logs and back-off keys."""
    md = pod["metadata"]
    return f"{md['name']}_{md.get('namespace', 'default')}"


def is_deleting(pod: Object) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_terminal(pod: Object) -> bool:
    """Succeeded or Failed: nothing of the pod will run again."""
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def is_static(pod: Object) -> bool:
    """Defined by a file on its node rather than through the API."""
    return bool((pod["metadata"].get("annotations") or {}).get(CONFIG_SOURCE, "api") != "api")


def is_mirror(pod: Object) -> bool:
    """The API's read-only copy of a static pod."""
    return CONFIG_MIRROR in (pod["metadata"].get("annotations") or {})


def condition(pod: Object, type_: str) -> Object | None:
    """The pod's status condition of `type_` (Ready, PodScheduled, ...), if it has one."""
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c  # type: ignore[no-any-return]
    return None


def is_ready(pod: Object) -> bool:
    """Condition Ready is True (podutil.IsPodReady)."""
    c = condition(pod, "Ready")
    return c is not None and bool(c.get("status") == "True")


def ready_since(pod: Object) -> str:
    """When the pod last became Ready (the condition's lastTransitionTime), or ""."""
    c = condition(pod, "Ready")
    return (c.get("lastTransitionTime") or "") if c is not None and c.get("status") == "True" else ""


def is_available(pod: Object, min_ready_seconds: int, now: float) -> bool:
    """Ready for at least `min_ready_seconds` at wall time `now` (podutil.IsPodAvailable):
    with 0 any Ready pod is available; otherwise the Ready transition must lie strictly
    more than that many seconds in the past."""
    if not is_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = ready_since(pod)
    if not since:
        return False
    return parse_time(since).timestamp() + min_ready_seconds < now


def restart_policy(pod: Object) -> str:
    return (pod.get("spec") or {}).get("restartPolicy") or "Always"


def grace_period(pod: Object) -> int:
    """Seconds of graceful termination: the deletion's grace, else the spec's (default 30)."""
    md = pod["metadata"]
    if md.get("deletionGracePeriodSeconds") is not None:
        return int(md["deletionGracePeriodSeconds"])
    value = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
    return DEFAULT_TERMINATION_GRACE_SECONDS if value is None else int(value)


def qos_class(pod: Object) -> str:
    """Guaranteed, Burstable or BestEffort, as Kubernetes classes a pod.

    Only cpu and memory count, summed over init and app containers. BestEffort: no non-zero
    request or limit at all. Guaranteed: every container limits both, and the summed requests
    equal the summed limits. Anything else is Burstable. A missing request reads as its limit,
    as API defaulting makes it (so undefaulted pods, e.g. static ones, class the same)."""
    spec = pod.get("spec") or {}
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    guaranteed = True
    for c in [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]:
        resources = c.get("resources") or {}
        own_limits = _positive(resources.get("limits"))
        own_requests = _positive({**(resources.get("limits") or {}), **(resources.get("requests") or {})})
        _add(requests, own_requests)
        _add(limits, own_limits)
        guaranteed = guaranteed and set(own_limits) == set(_QOS_RESOURCES)
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and requests.keys() == limits.keys() and all(limits[n] == q for n, q in requests.items()):
        return "Guaranteed"
    return "Burstable"


def _positive(values: Any) -> dict[str, Quantity]:
    out = {}
    for name in _QOS_RESOURCES:
        raw = (values or {}).get(name) if isinstance(values, dict) else None
        if raw is None:
            continue
        try:
            q = parse_quantity(raw)
        except QuantityError:
            continue  # validation reports it; classing must not fail on it
        if q.sign() > 0:
            out[name] = q
    return out


def _add(total: dict[str, Quantity], more: dict[str, Quantity]) -> None:
    for name, q in more.items():
        total[name] = total[name] + q if name in total else q
