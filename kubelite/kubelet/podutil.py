"""Small facts about pods that several parts of the kubelet need.

Pods are plain JSON-shaped dicts (as everywhere in kubelite); these helpers read them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from kubelite.api.meta import format_time
from kubelite.api.quantity import parse_quantity
from kubelite.util.clock import Clock

Obj = dict[str, Any]

# Annotations of static pods and their mirrors (Kubernetes' names).
CONFIG_SOURCE = "kubernetes.io/config.source"
CONFIG_HASH = "kubernetes.io/config.hash"
CONFIG_MIRROR = "kubernetes.io/config.mirror"
CONFIG_SEEN = "kubernetes.io/config.seen"


def uid(pod: Obj) -> str:
    return pod["metadata"].get("uid", "")


def full_name(pod: Obj) -> str:
    """`name_namespace`, the kubelet's name for a pod in logs and back-off keys."""
    md = pod["metadata"]
    return f"{md['name']}_{md.get('namespace', 'default')}"


def is_deleting(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def is_static(pod: Obj) -> bool:
    return (pod["metadata"].get("annotations") or {}).get(CONFIG_SOURCE, "api") != "api"


def is_mirror(pod: Obj) -> bool:
    return CONFIG_MIRROR in (pod["metadata"].get("annotations") or {})


def restart_policy(pod: Obj) -> str:
    return (pod.get("spec") or {}).get("restartPolicy") or "Always"


def grace_period(pod: Obj) -> int:
    """Seconds of graceful termination: the deletion's grace, else the spec's (default 30)."""
    md = pod["metadata"]
    if md.get("deletionGracePeriodSeconds") is not None:
        return int(md["deletionGracePeriodSeconds"])
    value = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
    return 30 if value is None else int(value)


def timestamp(clock: Clock) -> str:
    return format_time(dt.datetime.fromtimestamp(clock.wall(), dt.UTC))


def content_hash(obj: Any) -> str:
    import orjson

    return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _resources(c: Obj) -> tuple[dict[str, Any], dict[str, Any]]:
    r = c.get("resources") or {}
    limits = r.get("limits") or {}
    requests = {**limits, **(r.get("requests") or {})}  # requests default to limits
    return requests, limits


def qos_class(pod: Obj) -> str:
    """Guaranteed, Burstable or BestEffort, from cpu and memory requests and limits."""
    spec = pod.get("spec") or {}
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    any_set = False
    guaranteed = True
    for c in containers:
        requests, limits = _resources(c)
        for res in ("cpu", "memory"):
            req, lim = requests.get(res), limits.get(res)
            if req is not None and not parse_quantity(req).is_zero() or lim is not None:
                any_set = True
            if lim is None or req is None or parse_quantity(req) != parse_quantity(lim):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"
