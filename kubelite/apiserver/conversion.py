"""Conversion between the stored version of a resource and the version a client asked for.

Events are stored once, as core/v1 Events; events.k8s.io/v1 serves the same objects
with the newer field names (note <- message, regarding <- involvedObject, ...).
"""

from __future__ import annotations

from typing import Any

from kubelite.api.resources import ResourceType

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
    return rt.stored_group != rt.group or rt.stored_version != rt.version


def to_external(rt: ResourceType, stored: dict[str, Any]) -> dict[str, Any]:
    if rt.group == "events.k8s.io":
        return _core_to_events(stored)
    return stored


def to_internal(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    if rt.group == "events.k8s.io":
        return _events_to_core(obj)
    return obj


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
