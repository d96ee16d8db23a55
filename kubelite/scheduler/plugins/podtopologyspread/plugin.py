"""PodTopologySpread (PreFilter, Filter, PreScore, Score).

Filter, for DoNotSchedule constraints: a node fits if, for every constraint, the number of
matching pods in the node's domain, plus one if the pod matches its own selector, minus the
number in the emptiest eligible domain (0 while there are fewer domains than minDomains)
is at most maxSkew: "node(s) didn't match pod topology spread constraints". A node without
a constraint's topology key cannot fit: "node(s) didn't match pod topology spread
constraints (missing required label)", unresolvable.

Score, for ScheduleAnyway constraints (or the cluster defaults): nodes whose domains hold
fewer matching pods score higher. Each constraint adds count × log(number of domains + 2)
+ (maxSkew - 1) for the node's domain; the lowest sum becomes 100 after normalising.
Nodes missing a topology key score 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.events import ActionType, ClusterEvent, ClusterEventWithHint, EventResource
from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE, PreFilterResult
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo
from kubelite.scheduler.plugins.nodeaffinity.node_affinity import RequiredNodeAffinity
from kubelite.scheduler.plugins.podtopologyspread.constraints import (
    DO_NOT_SCHEDULE,
    HOSTNAME,
    SCHEDULE_ANYWAY,
    SYSTEM_DEFAULT_CONSTRAINTS,
    Constraint,
    count_matching,
    has_all_keys,
    pod_constraints,
)

ERR_CONSTRAINTS = "node(s) didn't match pod topology spread constraints"
ERR_MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)"
_PRE_FILTER_KEY = "PreFilterPodTopologySpread"
_PRE_SCORE_KEY = "PreScorePodTopologySpread"
INVALID_SCORE = -1


@dataclass(slots=True)
class _FilterState:
    constraints: list[Constraint]
    counts: list[dict[str, int]]  # per constraint: domain value -> matching pods
    # The emptiest domain's count per constraint (Kubernetes' critical paths), worked out
    # once and again only after a change, not for every node Filter looks at.
    minimums: list[int | None] = field(default_factory=list)

    def min_match(self, i: int) -> int:
        if not self.minimums:
            self.minimums = [None] * len(self.constraints)
        m = self.minimums[i]
        if m is None:
            c, counts = self.constraints[i], self.counts[i]
            m = 0 if len(counts) < c.min_domains else min(counts.values(), default=0)
            self.minimums[i] = m
        return m

    def changed(self) -> None:
        self.minimums = []

    def clone(self) -> _FilterState:
        return _FilterState(self.constraints, [dict(c) for c in self.counts])


@dataclass(slots=True)
class _ScoreState:
    constraints: list[Constraint]
    counts: list[dict[str, int]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    ignored: set[str] = field(default_factory=set)


class PodTopologySpread:
    NAME: ClassVar[str] = "PodTopologySpread"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        args = args or {}
        self.handle = handle or Handle()
        self.defaulting = args.get("defaultingType") or "System"
        if self.defaulting not in ("System", "List"):
            raise ValueError(
                f'defaultingType: Unsupported value: "{self.defaulting}": supported values: "List", "System"'
            )
        self.defaults: list[dict[str, Any]] = (
            SYSTEM_DEFAULT_CONSTRAINTS
            if self.defaulting == "System"
            else list(args.get("defaultConstraints") or [])
        )

    def _constraints(self, pod: PodInfo, when: str) -> list[Constraint]:
        return pod_constraints(pod, self.handle.listers, when, self.defaulting == "System", self.defaults)

    # ---- filter ----

    def pre_filter(
        self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
    ) -> tuple[PreFilterResult | None, Status | None]:
        constraints = self._constraints(pod, DO_NOT_SCHEDULE)
        if not constraints:
            return None, Status.skip()
        required = RequiredNodeAffinity(pod.pod)
        counts: list[dict[str, int]] = [{} for _ in constraints]
        for node in nodes:
            labels = node.labels
            if not has_all_keys(labels, constraints):
                continue
            for i, c in enumerate(constraints):
                if not c.counts_node(pod, node, required):
                    continue
                tv = labels[c.topology_key]
                counts[i][tv] = counts[i].get(tv, 0) + count_matching(node, c.selector, pod.namespace)
        state.write(_PRE_FILTER_KEY, _FilterState(constraints, counts))
        return None, None

    def pre_filter_extensions(self) -> PodTopologySpread:
        return self

    def add_pod(self, state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo) -> Status | None:
        self._update(state, pod, added, node, 1)
        return None

    def remove_pod(self, state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo) -> Status | None:
        self._update(state, pod, removed, node, -1)
        return None

    def _update(self, state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, v: int) -> None:
        s: _FilterState | None = state.get(_PRE_FILTER_KEY)
        if s is None or other.namespace != pod.namespace or not has_all_keys(node.labels, s.constraints):
            return
        required = RequiredNodeAffinity(pod.pod)
        for i, c in enumerate(s.constraints):
            if c.counts_node(pod, node, required) and c.selector.matches(other.labels):
                tv = node.labels[c.topology_key]
                s.counts[i][tv] = s.counts[i].get(tv, 0) + v
                s.changed()

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        s: _FilterState = state.read(_PRE_FILTER_KEY)
        labels = node.labels
        for i, c in enumerate(s.constraints):
            tv = labels.get(c.topology_key)
            if tv is None:
                return Status.unresolvable(ERR_MISSING_LABEL)
            self_match = 1 if c.selector.matches(pod.labels) else 0
            skew = s.counts[i].get(tv, 0) + self_match - s.min_match(i)
            if skew > c.max_skew:
                return Status.unschedulable(ERR_CONSTRAINTS)
        return None

    # ---- score ----

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        constraints = self._constraints(pod, SCHEDULE_ANYWAY)
        if not constraints:
            return Status.skip()
        require_all = bool(pod.spec.get("topologySpreadConstraints")) or self.defaulting != "System"
        s = _ScoreState(constraints, [{} for _ in constraints])
        for node in nodes:
            if require_all and not has_all_keys(node.labels, constraints):
                s.ignored.add(node.name)
                continue
            for i, c in enumerate(constraints):
                if c.topology_key != HOSTNAME and c.topology_key in node.labels:
                    s.counts[i].setdefault(node.labels[c.topology_key], 0)
        required = RequiredNodeAffinity(pod.pod)
        for node in self.handle.snapshot().node_info_list:
            labels = node.labels
            if require_all and not has_all_keys(labels, constraints):
                continue
            for i, c in enumerate(constraints):
                tv = labels.get(c.topology_key)
                if c.topology_key == HOSTNAME or tv is None or tv not in s.counts[i]:
                    continue
                if c.counts_node(pod, node, required):
                    s.counts[i][tv] += count_matching(node, c.selector, pod.namespace)
        for i, c in enumerate(constraints):
            size = len(nodes) - len(s.ignored) if c.topology_key == HOSTNAME else len(s.counts[i])
            s.weights.append(math.log(size + 2))
        state.write(_PRE_SCORE_KEY, s)
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        s: _ScoreState = state.read(_PRE_SCORE_KEY)
        if node.name in s.ignored:
            return INVALID_SCORE
        labels = node.labels
        total = 0.0
        for i, c in enumerate(s.constraints):
            tv = labels.get(c.topology_key)
            if tv is None:
                continue
            if c.topology_key == HOSTNAME:
                cnt = count_matching(node, c.selector, pod.namespace)
            else:
                cnt = s.counts[i].get(tv, 0)
            total += cnt * s.weights[i] + (c.max_skew - 1)
        return int(math.floor(total + 0.5))  # Go rounds halves away from zero

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        valid = [x for x in scores if x != INVALID_SCORE]
        lo, hi = min(valid, default=0), max(valid, default=0)
        for i, x in enumerate(scores):
            if x == INVALID_SCORE:
                scores[i] = 0
            elif hi == 0:
                scores[i] = MAX_NODE_SCORE
            else:
                scores[i] = MAX_NODE_SCORE * (hi + lo - x) // hi

    def events_to_register(self) -> list[ClusterEventWithHint]:
        pod_changes = ActionType.ADD | ActionType.UPDATE_POD_LABEL | ActionType.DELETE
        node_changes = (
            ActionType.ADD | ActionType.DELETE | ActionType.UPDATE_NODE_LABEL | ActionType.UPDATE_NODE_TAINT
        )
        return [
            ClusterEventWithHint(ClusterEvent(EventResource.ASSIGNED_POD, pod_changes)),
            ClusterEventWithHint(ClusterEvent(EventResource.NODE, node_changes)),
        ]
