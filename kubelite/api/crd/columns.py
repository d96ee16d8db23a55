"""The `additionalPrinterColumns` of a custom resource: simple JSONPaths evaluated on each
object, formatted by the column's type as Kubernetes' table convertor does (dates as ages,
missing values as empty cells)."""

from __future__ import annotations

import json
import re
from typing import Any

_MISSING = object()
_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def lookup(obj: Any, path: str) -> Any:
    """The value at a simple JSONPath (`.spec.replicas`, `.status.conditions[0].type`,
    `.metadata.labels['app.kubernetes.io/name']`), or `_MISSING`."""
    value = obj
    pos = 0
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None:
            return _MISSING
        pos = m.end()
        key, idx, quoted, dquoted = m.groups()
        if idx is not None:
            if not isinstance(value, list) or int(idx) >= len(value):
                return _MISSING
            value = value[int(idx)]
        else:
            name = key if key is not None else (quoted if quoted is not None else dquoted)
            if not isinstance(value, dict) or name not in value:
                return _MISSING
            value = value[name]
    return value


def is_missing(value: Any) -> bool:
    return value is _MISSING


def cell(column_type: str, value: Any) -> Any:
    """A table cell of `column_type` for a looked-up value (None when missing or unusable)."""
    if value is _MISSING or value is None:
        return None
    if column_type == "integer":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if column_type == "number":
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if column_type == "boolean":
        return value if isinstance(value, bool) else None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))
