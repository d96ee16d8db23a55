"""Conversion between the stored version of a resource and the version a client asked for.

Events are stored once, as core/v1 Events; events.k8s.io/v1 serves the same objects
with the newer field names (note <- message, regarding <- involvedObject, ...).
HorizontalPodAutoscalers are stored as autoscaling/v2 and served as v1 too
(`kubelite.api.autoscaling`). Custom objects are stored in their CRD's storage version and
served in every served version with conversion `None`.

Validation reads the stored version of a group (an autoscaling/v1 write is validated as
the v2 object it becomes, as Kubernetes validates its internal version); only a kind
served from another group's storage (events.k8s.io) is validated as the client wrote it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from kubelite.api import autoscaling
from kubelite.api.resources import ResourceType

Converter = Callable[[dict[str, Any]], dict[str, Any]]

# (core/v1 field, events.k8s.io/v1 field)
_RENAMES = (
    ("message", "note"),
    ("involvedObject", "regarding"),
    ("related", "related"),
    ("reportingComponent", "reportingController"),
    ("reportingInstance", "reportingInstance"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
    ("source", "deprecatedSource"),
    ("eventTime", "eventTime"),
    ("action", "action"),
    ("reason", "reason"),
    ("type", "type"),
    ("series", "series"),
)


def needed(rt: ResourceType) -> bool:
    # Custom objects are pruned and defaulted by the served version's schema on every read.
    return rt.custom is not None or rt.stored_group != rt.group or rt.stored_version != rt.version


def validates_external(rt: ResourceType) -> bool:
    """True when validators must see the served form (a kind stored in another group)."""
    return rt.stored_group != rt.group


def to_external(rt: ResourceType, stored: dict[str, Any]) -> dict[str, Any]:
    """The stored object as `rt`'s version serves it (a new object; `stored` is unchanged)."""
    if rt.custom is not None:
        return _custom_to_external(rt, stored)
    convert = _CONVERTERS.get((rt.group, rt.version))
    return stored if convert is None else convert[0](stored)


def to_internal(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """A body of `rt`'s version in the stored version."""
    if rt.custom is not None:
        obj["apiVersion"] = f"{rt.group}/{rt.custom.storage_version}"
        return obj
    convert = _CONVERTERS.get((rt.group, rt.version))
    return obj if convert is None else convert[1](obj)


def _custom_to_external(rt: ResourceType, stored: dict[str, Any]) -> dict[str, Any]:
    """Conversion `None` (only apiVersion changes), then the served version's schema:
    unknown fields pruned, defaults applied (so a default added to a CRD shows on objects
    stored before it)."""
    assert rt.custom is not None
    out = copy.deepcopy(stored)
    out["apiVersion"] = rt.group_version
    rt.custom.prune(out)
    rt.custom.default(out)
    return out


def _core_to_events(ev: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "events.k8s.io/v1",
        "metadata": ev.get("metadata", {}),
    }
    for core, new in _RENAMES:
        if core in ev:
            out[new] = ev[core]
    series = ev.get("series")
    if series:
        out["series"] = {"count": series.get("count", 0), "lastObservedTime": series.get("lastObservedTime")}
    if not out.get("reportingController") and (ev.get("source") or {}).get("component"):
        out["reportingController"] = ev["source"]["component"]
    if not out.get("reportingInstance") and (ev.get("source") or {}).get("host"):
        out["reportingInstance"] = ev["source"]["host"]
    out.setdefault("eventTime", None)
    return out


def _events_to_core(ev: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "Event", "apiVersion": "v1", "metadata": ev.get("metadata", {})}
    for core, new in _RENAMES:
        if new in ev:
            out[core] = ev[new]
    out.setdefault("involvedObject", {})
    if "source" not in out and (ev.get("reportingController") or ev.get("reportingInstance")):
        src = {}
        if ev.get("reportingController"):
            src["component"] = ev["reportingController"]
        if ev.get("reportingInstance"):
            src["host"] = ev["reportingInstance"]
        out["source"] = src
    return out


# (group, version) served -> (stored -> served, served -> stored)
_CONVERTERS: dict[tuple[str, str], tuple[Converter, Converter]] = {
    ("events.k8s.io", "v1"): (_core_to_events, _events_to_core),
    ("autoscaling", "v1"): (autoscaling.to_v1, autoscaling.to_v2),
}
