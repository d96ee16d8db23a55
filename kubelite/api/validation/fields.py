"""Small building blocks shared by the validators: paths, value rendering, common checks.

Kubernetes prints a bad value with Go's formatting, so a map shows as
`map[string]string{"app":"x"}` and an int-or-string as a bare `25%`. `GoValue` carries
such a pre-rendered value through `FieldError` (whose renderer falls back to `str()` for
objects it does not know). Objects arrive as decoded JSON, so every reader here tolerates
the wrong type instead of raising: a string where a map belongs reads as an empty map.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from kubelite.api.errors import FieldError, invalid
from kubelite.api.quantity import Quantity, QuantityError

NEGATIVE_MSG = "must be greater than or equal to 0"
IMMUTABLE_MSG = "field is immutable"

Errors = list[FieldError]


def child(path: str, *names: str) -> str:
    for name in names:
        path = f"{path}.{name}" if path else name
    return path


def index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def key(path: str, k: str) -> str:
    return f"{path}[{k}]"


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class GoValue:
    """A bad value already rendered the way Kubernetes prints it."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"GoValue({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoValue) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def too_many(path: str, actual: int, limit: int) -> FieldError:
    return FieldError(path, "FieldValueTooMany", f"must have at most {limit} items", actual, True)


def _go_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def go_string_map(value: Any) -> GoValue:
    """`map[string]string{"a":"b", "c":"d"}`, or `map[string]string(nil)` when unset."""
    if not isinstance(value, dict):
        return GoValue("map[string]string(nil)")
    items = ", ".join(f"{_go_quote(str(k))}:{_go_quote(str(v))}" for k, v in sorted(value.items()))
    return GoValue("map[string]string{" + items + "}")


def go_label_selector(value: Any) -> GoValue:
    """A LabelSelector as Go's %#v prints it, which is what `field is immutable` shows."""
    sel = as_dict(value)
    labels = go_string_map(sel.get("matchLabels")).text
    exprs = as_list(sel.get("matchExpressions"))
    if not exprs:
        rendered = "[]v1.LabelSelectorRequirement(nil)"
    else:
        parts = []
        for e in exprs:
            e = as_dict(e)
            values = as_list(e.get("values"))
            vals = (
                ("[]string{" + ", ".join(_go_quote(str(v)) for v in values) + "}")
                if values
                else "[]string(nil)"
            )
            parts.append(
                f"v1.LabelSelectorRequirement{{Key:{_go_quote(as_str(e.get('key')))}, "
                f"Operator:{_go_quote(as_str(e.get('operator')))}, Values:{vals}}}"
            )
        rendered = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    return GoValue(f"v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{rendered}}}")


def int_or_string(value: Any) -> GoValue:
    """An IntOrString prints bare: `25%`, `3`."""
    return GoValue(str(value))


def not_found(path: str, value: Any) -> FieldError:
    return FieldError(path, "FieldValueNotFound", "", value, True)


def nonnegative(value: Any, path: str) -> Errors:
    if is_int(value) and value < 0:
        return [invalid(path, value, NEGATIVE_MSG)]
    return []


def immutable(new: Any, old: Any, path: str, shown: Any = None) -> Errors:
    if new != old:
        return [invalid(path, new if shown is None else shown, IMMUTABLE_MSG)]
    return []


def int_or_percent_value(value: Any) -> tuple[int, bool]:
    """The number in an int-or-percent, and whether it was a percentage."""
    if isinstance(value, str):
        if value.endswith("%") and value[:-1].isdigit():
            return int(value[:-1]), True
        return 0, False
    return (value, False) if is_int(value) else (0, False)


def parse_quantity(value: Any) -> Quantity | None:
    try:
        return Quantity.parse(value)
    except QuantityError:
        return None


def quantity_errors(value: Any, path: str) -> tuple[Quantity | None, Errors]:
    """Parse a quantity; a bad one is reported as the API server's decoder words it."""
    try:
        return Quantity.parse(value), []
    except QuantityError as err:
        return None, [invalid(path, value, str(err))]
