"""InterPodAffinity (PreFilter, Filter, PreScore, Score).

Filter, per node, on counts made once per cycle in PreFilter:

  1. required affinity: in every term's domain of the node some pod must match all the
     pod's affinity terms ("node(s) didn't match pod affinity rules", unresolvable). A pod
     whose terms match itself may go first when no pod anywhere matches them yet, so a
     group with affinity to itself can start;
  2. required anti-affinity: no pod matching a term in the term's domain of the node
     ("node(s) didn't match pod anti-affinity rules");
  3. existing pods' required anti-affinity: no pod already placed whose anti-affinity term
     matches this pod in a domain of the node ("node(s) didn't satisfy existing pods
     anti-affinity rules").

Terms apply to the pod's own namespace, the listed `namespaces`, or the namespaces whose
labels match `namespaceSelector`; topology keys are any node label.

Score: per domain, the weights of the pod's preferred affinity terms (+) and anti-affinity
terms (-) matching pods there, plus existing pods' preferred terms matching this pod (and
their required affinity, with `hardPodAffinityWeight`, default 1); a node scores the sum
over its domains, normalised between the lowest (0) and highest (100) node.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from kubelite.api.selectors import LabelSelector
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.events import ActionType, ClusterEvent, ClusterEventWithHint, EventResource
from kubelite.scheduler.framework.handle import Handle, Listers
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE, PreFilterResult
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import (
    AffinityTerm,
    NodeInfo,
    PodInfo,
    anti_affinity_terms_for,
    count_matching_pods,
    single_equality,
)
from kubelite.scheduler.plugins.interpodaffinity.counts import (
    TopologyCounts,
    add_affinity,
    add_anti_affinity,
    matches_all,
)

ERR_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
_PRE_FILTER_KEY = "PreFilterInterPodAffinity"
_PRE_SCORE_KEY = "PreScoreInterPodAffinity"


class _TopologyScore(dict[str, dict[str, int]]):
    """topology key -> value -> summed weight."""

    def add(self, node: NodeInfo, key: str, weight: int) -> None:
        tv = node.labels.get(key)
        if tv is not None and weight:
            bucket = self.setdefault(key, {})
            bucket[tv] = bucket.get(tv, 0) + weight


@dataclass(slots=True)
class _FilterState:
    affinity_terms: tuple[AffinityTerm, ...]
    anti_affinity_terms: tuple[AffinityTerm, ...]
    ns_labels: dict[str, str] | None
    existing_anti_affinity: TopologyCounts = field(default_factory=TopologyCounts)
    affinity: TopologyCounts = field(default_factory=TopologyCounts)
    anti_affinity: TopologyCounts = field(default_factory=TopologyCounts)

    def clone(self) -> _FilterState:
        return replace(
            self,
            existing_anti_affinity=self.existing_anti_affinity.clone(),
            affinity=self.affinity.clone(),
            anti_affinity=self.anti_affinity.clone(),
        )


def _countable(t: AffinityTerm) -> bool:
    """A term whose matches can be counted from the node's label index: one `key=value`,
    namespaces listed (namespaceSelector already merged into them)."""
    return t.namespace_selector.matches({}) is False and single_equality(t.selector) is not None


def _count_incoming(s: _FilterState, node: NodeInfo) -> None:
    """Count the node's pods matching the incoming pod's required affinity (all terms) and
    anti-affinity (each term) in the node's domains."""
    if len(s.affinity_terms) == 1 and _countable(s.affinity_terms[0]):
        t = s.affinity_terms[0]
        n = count_matching_pods(node, t.selector, t.namespaces, skip_deleting=False)
        if n:
            s.affinity.update_on(node, t.topology_key, n)
    elif s.affinity_terms:
        for existing in node.pods:
            add_affinity(s.affinity, existing, node, s.affinity_terms, 1)
    for t in s.anti_affinity_terms:
        if _countable(t):
            n = count_matching_pods(node, t.selector, t.namespaces, skip_deleting=False)
            if n:
                s.anti_affinity.update_on(node, t.topology_key, n)
        else:
            for existing in node.pods:
                if t.matches(existing, None):
                    s.anti_affinity.update_on(node, t.topology_key, 1)


class InterPodAffinity:
    NAME: ClassVar[str] = "InterPodAffinity"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        args = args or {}
        self.handle = handle or Handle()
        self.hard_pod_affinity_weight = int(args.get("hardPodAffinityWeight", 1))
        if not 0 <= self.hard_pod_affinity_weight <= 100:
            weight = self.hard_pod_affinity_weight
            raise ValueError(f"hardPodAffinityWeight: Invalid value: {weight}: not in valid range [0-100]")
        self.ignore_preferred_of_existing = bool(args.get("ignorePreferredTermsOfExistingPods", False))

    # ---- namespaces ----

    def _merge_namespaces(self, terms: tuple[AffinityTerm, ...]) -> tuple[AffinityTerm, ...]:
        """Terms with a namespaceSelector get the matching namespaces listed, so existing pods
        can be matched without looking up their namespace's labels."""
        out = []
        for t in terms:
            if not t.namespace_selector.empty:  # {} (every namespace) stays as it is
                names = set(t.namespaces)
                for ns in Listers.items(self.handle.listers.namespaces):
                    if t.namespace_selector.matches(ns["metadata"].get("labels") or {}):
                        names.add(ns["metadata"]["name"])
                t = replace(t, namespaces=frozenset(names), namespace_selector=LabelSelector.nothing())
            out.append(t)
        return tuple(out)

    # ---- filter ----

    def pre_filter(
        self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
    ) -> tuple[PreFilterResult | None, Status | None]:
        snapshot = self.handle.snapshot()
        with_anti = snapshot.have_pods_with_required_anti_affinity
        if not pod.required_affinity_terms and not pod.required_anti_affinity_terms and not with_anti:
            return None, Status.skip()
        ns_labels = self.handle.namespace_labels(pod.namespace) or {}
        s = _FilterState(
            self._merge_namespaces(pod.required_affinity_terms),
            self._merge_namespaces(pod.required_anti_affinity_terms),
            ns_labels,
        )
        for node in with_anti:
            for _, t in anti_affinity_terms_for(node, pod.labels):
                if t.matches(pod, ns_labels):
                    s.existing_anti_affinity.update_on(node, t.topology_key, 1)

        if s.affinity_terms or s.anti_affinity_terms:
            for node in nodes:
                if node.pods:
                    _count_incoming(s, node)
        state.write(_PRE_FILTER_KEY, s)
        return None, None

    def pre_filter_extensions(self) -> InterPodAffinity:
        return self

    def add_pod(self, state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo) -> Status | None:
        self._update(state, pod, added, node, 1)
        return None

    def remove_pod(self, state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo) -> Status | None:
        self._update(state, pod, removed, node, -1)
        return None

    def _update(self, state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, v: int) -> None:
        s: _FilterState | None = state.get(_PRE_FILTER_KEY)
        if s is None:
            return
        add_anti_affinity(
            s.existing_anti_affinity, pod, node, other.required_anti_affinity_terms, v, s.ns_labels
        )
        add_affinity(s.affinity, other, node, s.affinity_terms, v)
        add_anti_affinity(s.anti_affinity, other, node, s.anti_affinity_terms, v)

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        s: _FilterState = state.read(_PRE_FILTER_KEY)
        labels = node.labels
        if s.affinity_terms and not self._satisfies_affinity(s, pod, labels):
            return Status.unresolvable(ERR_AFFINITY)
        if s.anti_affinity:
            for t in s.anti_affinity_terms:
                tv = labels.get(t.topology_key)
                if tv is not None and s.anti_affinity.get((t.topology_key, tv), 0) > 0:
                    return Status.unschedulable(ERR_ANTI_AFFINITY)
        if s.existing_anti_affinity:
            for k, v in labels.items():
                if s.existing_anti_affinity.get((k, v), 0) > 0:
                    return Status.unschedulable(ERR_EXISTING_ANTI_AFFINITY)
        return None

    @staticmethod
    def _satisfies_affinity(s: _FilterState, pod: PodInfo, labels: dict[str, str]) -> bool:
        pods_exist = True
        for t in s.affinity_terms:
            tv = labels.get(t.topology_key)
            if tv is None:
                return False  # every topology key must be a label of the node
            if s.affinity.get((t.topology_key, tv), 0) <= 0:
                pods_exist = False
        if pods_exist:
            return True
        # The first pod of a group with affinity to itself.
        return not s.affinity and matches_all(s.affinity_terms, pod)

    # ---- score ----

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        has_constraints = bool(pod.preferred_affinity_terms or pod.preferred_anti_affinity_terms)
        if self.ignore_preferred_of_existing and not has_constraints:
            return Status.skip()
        snapshot = self.handle.snapshot()
        candidates = snapshot.node_info_list if has_constraints else snapshot.have_pods_with_affinity
        ns_labels = self.handle.namespace_labels(pod.namespace) or {}
        incoming = [(t, t.weight) for t in self._merge_namespaces(pod.preferred_affinity_terms)]
        incoming += [(t, -t.weight) for t in self._merge_namespaces(pod.preferred_anti_affinity_terms)]
        score = _TopologyScore()
        for node in candidates:
            for existing in node.pods if has_constraints else node.pods_with_affinity:
                for t, weight in incoming:
                    if t.matches(existing, None):
                        score.add(node, t.topology_key, weight)
                if (
                    existing.required_affinity_terms
                    or existing.preferred_affinity_terms
                    or (existing.preferred_anti_affinity_terms)
                ):
                    self._existing_terms(score, node, existing, pod, ns_labels)
        if not score:
            return Status.skip()
        state.write(_PRE_SCORE_KEY, score)
        return None

    def _existing_terms(
        self,
        score: _TopologyScore,
        node: NodeInfo,
        existing: PodInfo,
        pod: PodInfo,
        ns_labels: dict[str, str],
    ) -> None:
        """What an existing pod's own terms say about placing `pod` near it."""
        if self.hard_pod_affinity_weight:
            for t in existing.required_affinity_terms:
                if t.matches(pod, ns_labels):
                    score.add(node, t.topology_key, self.hard_pod_affinity_weight)
        if self.ignore_preferred_of_existing:
            return
        for t in existing.preferred_affinity_terms:
            if t.matches(pod, ns_labels):
                score.add(node, t.topology_key, t.weight)
        for t in existing.preferred_anti_affinity_terms:
            if t.matches(pod, ns_labels):
                score.add(node, t.topology_key, -t.weight)

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        topology_score: dict[str, dict[str, int]] = state.read(_PRE_SCORE_KEY)
        labels = node.labels
        total = 0
        for key, values in topology_score.items():
            tv = labels.get(key)
            if tv is not None:
                total += values.get(tv, 0)
        return total

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        if not scores:
            return
        lo, hi = min(scores), max(scores)
        diff = hi - lo
        for i, s in enumerate(scores):
            scores[i] = int(MAX_NODE_SCORE * ((s - lo) / diff)) if diff > 0 else 0

    def events_to_register(self) -> list[ClusterEventWithHint]:
        pod_changes = ActionType.ADD | ActionType.UPDATE_POD_LABEL | ActionType.DELETE
        return [
            ClusterEventWithHint(ClusterEvent(EventResource.ASSIGNED_POD, pod_changes)),
            ClusterEventWithHint(
                ClusterEvent(EventResource.NODE, ActionType.ADD | ActionType.UPDATE_NODE_LABEL)
            ),
            ClusterEventWithHint(
                ClusterEvent(EventResource.NAMESPACE, ActionType.ADD | ActionType.UPDATE_OTHER)
            ),
        ]
