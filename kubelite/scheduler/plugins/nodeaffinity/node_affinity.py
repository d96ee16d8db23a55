"""NodeAffinity (PreFilter, Filter, PreScore, Score).

Filter: a node fits if its labels match the pod's `nodeSelector` (every key equal) and one
of the terms of `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`
(terms are ORed; expressions in a term ANDed; `matchFields` on metadata.name). Otherwise
"node(s) didn't match Pod's node affinity/selector", unresolvable. The plugin's
`addedAffinity` arg is a scheduler-enforced affinity every pod of the profile must also
satisfy ("node(s) didn't match scheduler-enforced node affinity").

PreFilter: when every required term names nodes by metadata.name, only those nodes are
candidates. A pod with neither selector nor required affinity skips the filter.

Score: the sum of the weights of the preferred terms a node matches, normalised so the best
node scores 100. A pod without preferred terms skips scoring.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kubelite.api.types import Object
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.events import ActionType, ClusterEvent, ClusterEventWithHint, EventResource
from kubelite.scheduler.framework.events import QueueingHint as Hint
from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.interface import PreFilterResult
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo
from kubelite.scheduler.plugins.helper import NodeSelector, NodeSelectorTerm, default_normalize_score

ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity"
_PRE_FILTER_KEY = "PreFilterNodeAffinity"
_PRE_SCORE_KEY = "PreScoreNodeAffinity"


class RequiredNodeAffinity:
    """nodeSelector AND required node affinity, compiled once per pod."""

    __slots__ = ("required", "selector")

    def __init__(self, pod: Object) -> None:
        spec = pod.get("spec") or {}
        self.selector: dict[str, str] = spec.get("nodeSelector") or {}
        na = (spec.get("affinity") or {}).get("nodeAffinity") or {}
        req = na.get("requiredDuringSchedulingIgnoredDuringExecution")
        self.required = NodeSelector(req) if req else None

    def empty(self) -> bool:
        return not self.selector and self.required is None

    def matches(self, name: str, labels: dict[str, str]) -> bool:
        for k, v in self.selector.items():
            if labels.get(k) != v:
                return False
        return self.required is None or self.required.matches(name, labels)


def _weighted_terms(preferred: list[Object]) -> list[tuple[int, NodeSelectorTerm]]:
    return [(int(p.get("weight") or 0), NodeSelectorTerm(p.get("preference") or {})) for p in preferred]


class NodeAffinity:
    NAME: ClassVar[str] = "NodeAffinity"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        added = (args or {}).get("addedAffinity") or {}
        req = added.get("requiredDuringSchedulingIgnoredDuringExecution")
        self.added_required = NodeSelector(req) if req else None
        self.added_preferred = _weighted_terms(
            added.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        )

    def pre_filter(
        self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
    ) -> tuple[PreFilterResult | None, Status | None]:
        required = RequiredNodeAffinity(pod.pod)
        if required.empty() and self.added_required is None:
            return None, Status.skip()
        state.write(_PRE_FILTER_KEY, required)
        names = _named_nodes(pod.pod)
        return (PreFilterResult(names) if names is not None else None), None

    def pre_filter_extensions(self) -> None:
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        labels = node.labels
        if self.added_required is not None and not self.added_required.matches(node.name, labels):
            return Status.unresolvable(ERR_REASON_ENFORCED)
        required: RequiredNodeAffinity | None = state.get(_PRE_FILTER_KEY)
        if required is None:
            required = RequiredNodeAffinity(pod.pod)
        if not required.matches(node.name, labels):
            return Status.unresolvable(ERR_REASON_POD)
        return None

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        na = (pod.spec.get("affinity") or {}).get("nodeAffinity") or {}
        terms = _weighted_terms(na.get("preferredDuringSchedulingIgnoredDuringExecution") or [])
        if not terms and not self.added_preferred:
            return Status.skip()
        state.write(_PRE_SCORE_KEY, terms + self.added_preferred)
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        terms: list[tuple[int, NodeSelectorTerm]] = state.get(_PRE_SCORE_KEY, [])
        labels = node.labels
        return sum(w for w, t in terms if t.matches(node.name, labels))

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        default_normalize_score(scores)

    def events_to_register(self) -> list[ClusterEventWithHint]:
        return [
            ClusterEventWithHint(
                ClusterEvent(EventResource.NODE, ActionType.ADD | ActionType.UPDATE_NODE_LABEL),
                self._matches_now,
            )
        ]

    def _matches_now(self, pod: Object, old: Object | None, new: Object | None) -> Hint:
        if new is None:
            return Hint.SKIP
        required = RequiredNodeAffinity(pod)

        def fits(node: Object | None) -> bool:
            if node is None:
                return False
            name, labels = node["metadata"]["name"], node["metadata"].get("labels") or {}
            if self.added_required is not None and not self.added_required.matches(name, labels):
                return False
            return required.matches(name, labels)

        return Hint.QUEUE if fits(new) and not fits(old) else Hint.SKIP


def _named_nodes(pod: Object) -> set[str] | None:
    """Node names if every required term pins metadata.name with In, else None."""
    na = ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
    terms = (na.get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or []
    if not terms:
        return None
    names: set[str] = set()
    for term in terms:
        pinned = [
            set(f.get("values") or ())
            for f in term.get("matchFields") or ()
            if f.get("key") == "metadata.name" and f.get("operator") == "In"
        ]
        if not pinned:
            return None
        term_names = pinned[0]
        for more in pinned[1:]:
            term_names &= more
        names |= term_names
    return names
