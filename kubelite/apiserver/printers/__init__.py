"""Server-side printing: objects as a `meta.k8s.io/v1 Table` for `kubectl get`.

kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints whatever
columns the server sends; the server, not kubectl, decides what `kubectl get pods`
shows. `table_for` builds that Table for a list (or one object) of a resource:

    {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {},
     "columnDefinitions": [{"name": "Name", "type": "string", "format": "name", ...}, ...],
     "rows": [{"cells": ["nginx", "1/1", "Running", "0", "5m", ...],
               "object": {"kind": "PartialObjectMetadata", ...}}]}

Every row carries a cell for every column, the `-o wide` ones (priority 1) included.
The caller fills `metadata.resourceVersion` and `continue`.

The columns are Kubernetes 1.32's, one `Printer` per resource, gathered below in
`PRINTERS` from the modules that own them. A built-in resource with no printer gets
Kubernetes' default `Name | Created At`; a custom resource gets `Name | Age`.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from kubelite.api.errors import BadRequest
from kubelite.api.resources import ResourceType
from kubelite.api.selectors.fields import is_custom_resource
from kubelite.apiserver.printers import cluster, config, core, events, networking, pods, workloads
from kubelite.apiserver.printers.columns import (
    EMPTY,
    META,
    NAME,
    Cells,
    Column,
    Printer,
    age,
    doc,
    human_duration,
    name_of,
)
from kubelite.apiserver.printers.custom import custom_printer

PRINTERS: dict[tuple[str, str], Printer] = {
    **pods.PRINTERS,
    **workloads.PRINTERS,
    **core.PRINTERS,
    **events.PRINTERS,
    **networking.PRINTERS,
    **cluster.PRINTERS,
    **config.PRINTERS,
}


def _created_at_row(obj: dict[str, Any], now: float) -> Cells:
    created = (obj.get("metadata") or EMPTY).get("creationTimestamp") or "0001-01-01T00:00:00Z"
    return [name_of(obj), created]


def _name_age_row(obj: dict[str, Any], now: float) -> Cells:
    return [name_of(obj), age(obj, now)]


# Kubernetes' generic table for built-ins without a printer (roles, limit ranges, ...).
DEFAULT_PRINTER = Printer(
    (NAME, Column("Created At", "date", doc(META, "creationTimestamp"))), _created_at_row
)
# What a CustomResourceDefinition without additionalPrinterColumns prints.
CUSTOM_RESOURCE_PRINTER = Printer(
    (
        NAME,
        Column(
            "Age",
            "date",
            "Custom resource definition column (in JSONPath format): .metadata.creationTimestamp",
        ),
    ),
    _name_age_row,
)

INCLUDE_OBJECT = ("None", "Metadata", "Object")


def printer_for(rt: ResourceType) -> Printer:
    if rt.custom is not None:
        return custom_printer(rt.custom)
    printer = PRINTERS.get((rt.group, rt.plural))
    if printer is not None:
        return printer
    return CUSTOM_RESOURCE_PRINTER if is_custom_resource(rt) else DEFAULT_PRINTER


@functools.cache
def _column_definitions(printer: Printer) -> tuple[tuple[tuple[str, Any], ...], ...]:
    return tuple(tuple(c.definition().items()) for c in printer.columns)


def column_definitions(printer: Printer) -> list[dict[str, Any]]:
    """The Table's `columnDefinitions` (fresh dicts; descriptions resolved once)."""
    return [dict(items) for items in _column_definitions(printer)]


def table_for(
    rt: ResourceType,
    objects: list[dict[str, Any]],
    *,
    include_object: str = "Metadata",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """A `meta.k8s.io/v1 Table` of `objects` (all of resource `rt`).

    `include_object` is the request's `includeObject`: "Metadata" puts a
    PartialObjectMetadata in each row (kubectl needs it for `-A` and `--show-labels`),
    "Object" the object itself, "None" nothing. Rows share the objects' dicts; do not
    mutate them. `now` fixes the clock for ages (tests); it defaults to the current time.
    """
    if include_object not in INCLUDE_OBJECT:
        raise BadRequest(
            f'includeObject: Unsupported value: "{include_object}": supported values: '
            '"Metadata", "None", "Object"'
        )
    printer = printer_for(rt)
    now_ts = (now or dt.datetime.now(dt.UTC)).timestamp()
    row_of, conditions_of = printer.row, printer.conditions
    rows: list[dict[str, Any]] = []
    append = rows.append
    for obj in objects:
        row: dict[str, Any] = {"cells": row_of(obj, now_ts)}
        if conditions_of is not None and (conditions := conditions_of(obj)):
            row["conditions"] = conditions
        if include_object == "Metadata":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata") or {},
            }
        elif include_object == "Object":
            row["object"] = obj
        append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": column_definitions(printer),
        "rows": rows,
    }


__all__ = [
    "CUSTOM_RESOURCE_PRINTER",
    "DEFAULT_PRINTER",
    "PRINTERS",
    "Column",
    "Printer",
    "column_definitions",
    "human_duration",
    "printer_for",
    "table_for",
]
