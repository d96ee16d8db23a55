"""Label selectors as values: requirements, matching, and `metav1.LabelSelector`.

A `LabelSelector` is an AND of `Requirement`s (`app=web`, `tier in (a,b)`, `!canary`).
Its `matches` is compiled once into a closure specialised for the common shapes (one
`k=v`, only equalities), so testing 10,000 pods costs dictionary lookups only. A missing
key satisfies `!=` and `notin`, as in Kubernetes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kubelite.api import names
from kubelite.api.errors import BadRequest
from kubelite.api.selectors.messages import (
    aggregate,
    go_quote,
    go_strings,
    invalid_value,
    is_int64,
)

Labels = Mapping[str, str]
_NO_LABELS: dict[str, str] = {}

# Operator spellings as Kubernetes' `selection.Operator` values (they appear in messages).
IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "in", "notin", "=", "==", "!="
EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN = "exists", "!", "gt", "lt"
BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)


@dataclass(slots=True, frozen=True)
class Requirement:
    """One term of a label selector: `key operator values`."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Labels) -> bool:
        return _predicate(self)(labels)

    def __str__(self) -> str:
        op, key = self.operator, self.key
        if op == EXISTS:
            return key
        if op == DOES_NOT_EXIST:
            return "!" + key
        values = ",".join(sorted(self.values))
        if op in (IN, NOT_IN):
            return f"{key} {op} ({values})"
        return key + {GREATER_THAN: ">", LESS_THAN: "<"}.get(op, op) + values


def _predicate(r: Requirement) -> Callable[[Labels], bool]:
    """A closure testing one requirement; built once per selector, called per object."""
    key, op = r.key, r.operator
    if op in (EQUALS, DOUBLE_EQUALS) or (op == IN and len(r.values) == 1):
        value = r.values[0]
        return lambda labels: labels.get(key) == value
    if op == IN:
        values = frozenset(r.values)
        return lambda labels: labels.get(key) in values
    if op in (NOT_EQUALS, NOT_IN):
        # A missing key satisfies `!=` and `notin`: None is never among the values.
        values = frozenset(r.values)
        return lambda labels: labels.get(key) not in values
    if op == EXISTS:
        return lambda labels: key in labels
    if op == DOES_NOT_EXIST:
        return lambda labels: key not in labels
    bound = int(r.values[0])
    greater = op == GREATER_THAN

    def compare(labels: Labels) -> bool:
        try:
            value = int(labels[key])
        except (KeyError, ValueError):
            return False
        return value > bound if greater else value < bound

    return compare


class LabelSelector:
    """An AND of label requirements, sorted by key as Kubernetes sorts them.

    `matches(labels)` is a precompiled closure stored on the instance (one call per
    object, no method binding). A selector with no requirements matches everything;
    `nothing()` (what a missing `metav1.LabelSelector` means) matches no object.
    """

    __slots__ = ("_nothing", "_text", "empty", "matches", "requirements")

    requirements: tuple[Requirement, ...]
    empty: bool
    matches: Callable[[Labels | None], bool]

    def __init__(self, requirements: Iterable[Requirement] = (), *, _nothing: bool = False) -> None:
        self.requirements = tuple(sorted(requirements, key=lambda r: r.key))
        self.empty = not self.requirements and not _nothing
        self._nothing = _nothing
        self._text = ",".join(str(r) for r in self.requirements)
        self.matches = _never if _nothing else _compile(self.requirements)

    @classmethod
    def nothing(cls) -> LabelSelector:
        return cls(_nothing=True)

    def exact_value(self, key: str) -> str | None:
        """The value `key` must equal (`key=v`, `key==v`, `key in (v)`), else None."""
        for r in self.requirements:
            if r.key == key and len(r.values) == 1 and r.operator in (EQUALS, DOUBLE_EQUALS, IN):
                return r.values[0]
        return None

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"LabelSelector({self._text!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, LabelSelector)
            and other.requirements == self.requirements
            and other._nothing == self._nothing
        )

    def __hash__(self) -> int:
        return hash((self.requirements, self._nothing))


def _never(labels: Labels | None) -> bool:
    return False


def _always(labels: Labels | None) -> bool:
    return True


def _compile(reqs: tuple[Requirement, ...]) -> Callable[[Labels | None], bool]:
    """The matcher for `reqs`, specialised for the shapes that dominate real traffic."""
    if not reqs:
        return _always
    if all(r.operator in (EQUALS, DOUBLE_EQUALS) for r in reqs):
        if len(reqs) == 1:
            # The overwhelmingly common `app=nginx`: one dict lookup.
            key, value = reqs[0].key, reqs[0].values[0]
            return lambda labels: labels is not None and labels.get(key) == value
        pairs = tuple((r.key, r.values[0]) for r in reqs)

        def all_equal(labels: Labels | None) -> bool:
            if not labels:
                return False
            get = labels.get
            for key, value in pairs:
                if get(key) != value:
                    return False
            return True

        return all_equal
    preds = tuple(_predicate(r) for r in reqs)
    if len(preds) == 1:
        only = preds[0]
        return lambda labels: only(labels or _NO_LABELS)

    def all_hold(labels: Labels | None) -> bool:
        labels = labels or _NO_LABELS
        for pred in preds:
            if not pred(labels):
                return False
        return True

    return all_hold


_NOT_AN_INTEGER = "for 'Gt', 'Lt' operators, the value must be an integer"


def new_requirement(key: str, op: str, values: list[str]) -> Requirement:
    """Validate one requirement as Kubernetes' `NewRequirement` does; raise ValueError."""
    errs = []
    if details := names.is_qualified_name(key):
        errs.append(invalid_value("key", key, details))
    if op in (IN, NOT_IN) and not values:
        errs.append(
            f"values: Invalid value: {go_strings(values)}: for 'in', 'notin' operators, "
            "values set can't be empty"
        )
    if op in (EXISTS, DOES_NOT_EXIST) and values:
        errs.append(
            f"values: Invalid value: {go_strings(values)}: values set must be empty for "
            "exists and does not exist"
        )
    if op in (GREATER_THAN, LESS_THAN):
        for i, v in enumerate(values):
            if not is_int64(v):
                errs.append(invalid_value(f"values[{i}]", v, [_NOT_AN_INTEGER]))
    for i, v in enumerate(values):
        if details := names.is_label_value(v):
            errs.append(invalid_value(f"values[{i}][{key}]", v, details))
    if errs:
        raise ValueError(aggregate(errs))
    return Requirement(key, op, tuple(values))


def selector_from_set(labels: Mapping[str, str] | None) -> LabelSelector:
    """`k1=v1,k2=v2` from a plain map (services', RCs' selectors); empty map matches all."""
    return LabelSelector(Requirement(k, EQUALS, (v,)) for k, v in (labels or {}).items())


_OBJECT_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def selector_from_label_selector_object(obj: Mapping[str, Any] | None) -> LabelSelector:
    """A `metav1.LabelSelector` (`matchLabels`, `matchExpressions`) as a matcher.

    None matches nothing and `{}` matches everything, as in Kubernetes. An invalid
    selector raises BadRequest with the message Kubernetes gives.
    """
    if obj is None:
        return LabelSelector.nothing()
    match_labels = obj.get("matchLabels") or {}
    expressions = obj.get("matchExpressions") or []
    reqs = []
    try:
        for key, value in match_labels.items():
            reqs.append(new_requirement(key, EQUALS, [value]))
        for expr in expressions:
            op = _OBJECT_OPERATORS.get(expr.get("operator", ""))
            if op is None:
                raise ValueError(
                    f"{go_quote(str(expr.get('operator', '')))} is not a valid label selector operator"
                )
            reqs.append(new_requirement(expr.get("key", ""), op, list(expr.get("values") or [])))
    except ValueError as err:
        raise BadRequest(str(err)) from None
    return LabelSelector(reqs)


def format_label_selector(obj: Mapping[str, Any] | None) -> str:
    """The string form of a `metav1.LabelSelector`: `app=nginx,tier in (a,b)`.

    Requirements are sorted by key and set values sorted, as Kubernetes prints them;
    an empty or missing selector gives "" (Scale.status.selector shows exactly this).
    """
    return str(selector_from_label_selector_object(obj))
