"""Events as table rows, for both core/v1 and events.k8s.io/v1 shapes.

events.k8s.io/v1 Events are stored as core/v1 Events, and Kubernetes prints both with
one printer; this one reads either field spelling (`involvedObject` or `regarding`,
`message` or `note`, `count` or `deprecatedCount`, ...).

An Event written through the new API has no first/last timestamps, only `eventTime`
and perhaps a `series`; a singleton new-style Event counts as 1.
"""

from __future__ import annotations

from typing import Any

from kubelite.apiserver.printers.columns import (
    CORE,
    EMPTY,
    META,
    Cells,
    Column,
    Printer,
    doc,
    name_of,
    since,
)

_EVENT = CORE + "Event"

EVENT_COLUMNS = (
    Column("Last Seen", description=doc(_EVENT, "lastTimestamp")),
    Column("Type", description=doc(_EVENT, "type")),
    Column("Reason", description=doc(_EVENT, "reason")),
    Column("Object", description=doc(_EVENT, "involvedObject")),
    Column("Subobject", priority=1, description=doc(CORE + "ObjectReference", "fieldPath")),
    Column("Source", priority=1, description=doc(_EVENT, "source")),
    Column("Message", description=doc(_EVENT, "message")),
    Column("First Seen", priority=1, description=doc(_EVENT, "firstTimestamp")),
    Column("Count", priority=1, description=doc(_EVENT, "count")),
    Column("Name", priority=1, format="name", description=doc(META, "name")),
)


def _either(obj: dict[str, Any], core: str, new: str) -> Any:
    value = obj.get(core)
    return obj.get(new) if value is None else value


def event_source(event: dict[str, Any]) -> str:
    """`component, host`, falling back to the reporting controller and instance."""
    source = _either(event, "source", "deprecatedSource") or EMPTY
    component = source.get("component") or _either(event, "reportingComponent", "reportingController") or ""
    instance = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {instance}" if instance else component


def event_row(event: dict[str, Any], now: float) -> Cells:
    first_ts = _either(event, "firstTimestamp", "deprecatedFirstTimestamp")
    first = since(first_ts if first_ts else event.get("eventTime"), now)
    last_ts = _either(event, "lastTimestamp", "deprecatedLastTimestamp")
    last = since(last_ts, now) if last_ts else first
    count = _either(event, "count", "deprecatedCount") or 0
    series = event.get("series")
    if series is not None:
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count") or 0
    elif count == 0:
        count = 1
    ref = _either(event, "involvedObject", "regarding") or EMPTY
    kind = (ref.get("kind") or "").lower()
    target = f"{kind}/{ref['name']}" if ref.get("name") else kind
    message = (_either(event, "message", "note") or "").strip()
    return [
        last,
        event.get("type") or "",
        event.get("reason") or "",
        target,
        ref.get("fieldPath") or "",
        event_source(event),
        message,
        first,
        count,
        name_of(event),
    ]


_EVENT_PRINTER = Printer(EVENT_COLUMNS, event_row)

PRINTERS = {
    ("", "events"): _EVENT_PRINTER,
    ("events.k8s.io", "events"): _EVENT_PRINTER,
}
