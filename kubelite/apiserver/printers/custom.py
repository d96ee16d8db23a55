"""Tables of custom resources: `Name`, then the CRD version's `additionalPrinterColumns`
(`Age` when it has none), each cell read by its JSONPath (`kubelite.api.crd.columns`)."""

from __future__ import annotations

import functools
from typing import Any

from kubelite.api.crd import columns as jsonpath
from kubelite.api.crd.definition import CustomResource
from kubelite.apiserver.printers.columns import NAME, Cells, Column, Printer, name_of, since


def _column(c: Any) -> Column:
    description = c.description or f"Custom resource definition column (in JSONPath format): {c.json_path}"
    return Column(c.name, c.type, description, c.format, c.priority)


@functools.lru_cache(maxsize=1024)
def custom_printer(cr: CustomResource) -> Printer:
    specs = cr.columns

    def row(obj: dict[str, Any], now: float) -> Cells:
        cells: Cells = [name_of(obj)]
        for c in specs:
            value = jsonpath.lookup(obj, c.json_path)
            if c.type == "date":
                cells.append(since(value, now) if isinstance(value, str) else None)
            else:
                cells.append(jsonpath.cell(c.type, value))
        return cells

    return Printer((NAME, *(_column(c) for c in specs)), row)
