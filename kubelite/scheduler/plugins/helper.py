"""What several plugins share: score normalisation, node selector terms, tolerations."""

from __future__ import annotations

from kubelite.api.selectors import LabelSelector, Requirement
from kubelite.api.selectors.labels import DOES_NOT_EXIST, EXISTS, GREATER_THAN, IN, LESS_THAN, NOT_IN
from kubelite.api.taints import tolerates_any
from kubelite.api.types import Object
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE

_OPERATORS = {
    "In": IN,
    "NotIn": NOT_IN,
    "Exists": EXISTS,
    "DoesNotExist": DOES_NOT_EXIST,
    "Gt": GREATER_THAN,
    "Lt": LESS_THAN,
}


def default_normalize_score(
    scores: list[int], *, reverse: bool = False, max_priority: int = MAX_NODE_SCORE
) -> None:
    """Scale scores so the highest is `max_priority`; with `reverse`, the lowest is.

    All zero: every score becomes 0 (or `max_priority` when reversed), as Kubernetes'
    DefaultNormalizeScore does."""
    highest = max(scores, default=0)
    if highest == 0:
        if reverse:
            for i in range(len(scores)):
                scores[i] = max_priority
        return
    for i, s in enumerate(scores):
        s = max_priority * s // highest
        scores[i] = max_priority - s if reverse else s


def _requirement(expr: Object) -> Requirement | None:
    op = _OPERATORS.get(expr.get("operator", ""))
    if op is None:
        return None
    values = tuple(str(v) for v in expr.get("values") or ())
    if op in (GREATER_THAN, LESS_THAN):
        try:
            int(values[0])
        except (IndexError, ValueError):
            return None
    return Requirement(expr.get("key", ""), op, values)


class NodeSelectorTerm:
    """matchExpressions on node labels AND matchFields on the node's name."""

    __slots__ = ("fields", "labels", "valid")

    def __init__(self, term: Object) -> None:
        reqs = [_requirement(e) for e in term.get("matchExpressions") or ()]
        self.valid = all(r is not None for r in reqs) and bool(reqs or term.get("matchFields"))
        self.labels = LabelSelector(r for r in reqs if r is not None)
        self.fields: list[tuple[str, frozenset[str]]] = []
        for f in term.get("matchFields") or ():
            if f.get("key") != "metadata.name" or f.get("operator") not in ("In", "NotIn"):
                self.valid = False
                continue
            self.fields.append((f["operator"], frozenset(f.get("values") or ())))

    def matches(self, name: str, labels: dict[str, str]) -> bool:
        if not self.valid or not self.labels.matches(labels):
            return False
        for op, values in self.fields:
            if (name in values) != (op == "In"):
                return False
        return True


class NodeSelector:
    """`nodeSelectorTerms`, ORed: a node matches if any term matches it."""

    __slots__ = ("terms",)

    def __init__(self, selector: Object) -> None:
        self.terms = [NodeSelectorTerm(t) for t in selector.get("nodeSelectorTerms") or ()]

    def matches(self, name: str, labels: dict[str, str]) -> bool:
        return any(t.matches(name, labels) for t in self.terms)


def first_untolerated(
    taints: list[Object], tolerations: list[Object], effects: tuple[str, ...]
) -> Object | None:
    for taint in taints:
        if taint.get("effect") in effects and not tolerates_any(tolerations, taint):
            return taint
    return None
