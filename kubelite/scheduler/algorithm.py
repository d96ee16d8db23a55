"""Choosing a node for one pod: filter, score, pick (Kubernetes' schedulePod).

    snapshot ─▶ PreFilter ─▶ Filter nodes, starting where the last cycle stopped, until
                              enough feasible nodes are found ─▶ PreScore ─▶ Score
                              ─▶ the highest total wins; equal totals: round robin

How many feasible nodes are enough (percentageOfNodesToScore): all of them below 100 nodes;
otherwise the configured percentage, or by default an adaptive one, 50 % minus 1 % per 125
nodes, never under 5 %; never fewer than 100 nodes. Each cycle starts filtering where the
previous one stopped, so every node gets its turn.

A pod nominated to a node by an earlier preemption tries that node first.

Ties: Kubernetes picks at random among the nodes with the highest score; kubelite takes them
in turn (seed 001: ties are broken round-robin), the first tie after the node chosen last
time in node order, so equal nodes share the load evenly and runs are repeatable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kubelite.scheduler.cache.snapshot import Snapshot
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.diagnosis import Diagnosis, FitError, NodeToStatus, NoNodesAvailable
from kubelite.scheduler.framework.runtime import Framework
from kubelite.scheduler.framework.status import Code, Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


@dataclass(slots=True)
class ScheduleResult:
    suggested_host: str
    evaluated_nodes: int
    feasible_nodes: int


class SchedulingError(Exception):
    """A plugin failed (Status code Error): not the pod's fault; retried with back-off."""

    def __init__(self, status: Status) -> None:
        super().__init__(status.message() or "scheduling error")
        self.status = status


def num_feasible_nodes_to_find(percentage: int, num_all_nodes: int) -> int:
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if percentage == 0:
        percentage = max(50 - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    n = num_all_nodes * percentage // 100
    return max(n, MIN_FEASIBLE_NODES_TO_FIND)


class Algorithm:
    """The filter-and-score part of the scheduler, on a snapshot kept up to date by the caller."""

    def __init__(self, snapshot: Snapshot, percentage_of_nodes_to_score: int = 0) -> None:
        self.snapshot = snapshot
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self.next_start_node_index = 0
        self._last_chosen = -1

    def schedule_pod(self, fw: Framework, state: CycleState, pod: PodInfo) -> ScheduleResult:
        """The node for `pod`; raises FitError (fits nowhere), NoNodesAvailable, SchedulingError."""
        if self.snapshot.num_nodes() == 0:
            raise NoNodesAvailable()
        feasible, diagnosis = self.find_nodes_that_fit_pod(fw, state, pod)
        if not feasible:
            raise FitError(pod.key, self.snapshot.num_nodes(), diagnosis)
        evaluated = len(feasible) + len(diagnosis.node_to_status)
        if len(feasible) == 1:
            return ScheduleResult(feasible[0].name, evaluated, 1)
        totals = self.prioritize_nodes(fw, state, pod, feasible)
        return ScheduleResult(self.select_host(feasible, totals), evaluated, len(feasible))

    def find_nodes_that_fit_pod(
        self, fw: Framework, state: CycleState, pod: PodInfo
    ) -> tuple[list[NodeInfo], Diagnosis]:
        all_nodes = self.snapshot.node_info_list
        diagnosis = Diagnosis()
        result, status, rejected = fw.run_pre_filter_plugins(state, pod, all_nodes)
        diagnosis.unschedulable_plugins = rejected
        if status is not None:
            if not status.is_rejected():
                raise SchedulingError(status)
            diagnosis.node_to_status = NodeToStatus(status)
            diagnosis.pre_filter_msg = status.message()
            diagnosis.add_plugin_status(status)
            return [], diagnosis
        nominated = (pod.pod.get("status") or {}).get("nominatedNodeName")
        if nominated:
            node = self.snapshot.get(nominated)
            if node is not None:
                found = self._filter(fw, state, pod, diagnosis, [node], start=0)
                if found:
                    return found, diagnosis
        nodes = all_nodes
        if result is not None and result.node_names is not None:
            nodes = [
                n for n in (self.snapshot.get(name) for name in sorted(result.node_names)) if n is not None
            ]
            plugins = " ".join(sorted(rejected)) if rejected else ""
            diagnosis.node_to_status = NodeToStatus(
                Status.unresolvable(f"node(s) didn't satisfy plugin(s) [{plugins}]") if plugins else None
            )
        start = self.next_start_node_index if nodes is all_nodes else 0
        started = time.perf_counter()
        feasible = self._filter(fw, state, pod, diagnosis, nodes, start=start)
        fw.timed("Filter", started, None)
        processed = len(feasible) + len(diagnosis.node_to_status)
        if all_nodes:
            self.next_start_node_index = (self.next_start_node_index + processed) % len(all_nodes)
        return feasible, diagnosis

    def _filter(
        self,
        fw: Framework,
        state: CycleState,
        pod: PodInfo,
        diagnosis: Diagnosis,
        nodes: list[NodeInfo],
        *,
        start: int,
    ) -> list[NodeInfo]:
        n_all = len(nodes)
        if n_all == 0:
            return []
        percentage = fw.percentage_of_nodes_to_score
        if percentage is None:
            percentage = self.percentage_of_nodes_to_score
        to_find = num_feasible_nodes_to_find(percentage, n_all) if fw.has_score_plugins() else 1
        fns = fw.filter_functions(state)
        order = nodes[start:] + nodes[:start] if start else nodes
        if not fns:
            return order[:to_find]
        feasible: list[NodeInfo] = []
        if fw.handle.nominator:
            for node in order:
                status = fw.run_filter_plugins_with_nominated_pods(state, pod, node, fns)
                if status is None or status.code is Code.SUCCESS:
                    feasible.append(node)
                    if len(feasible) >= to_find:
                        break
                else:
                    self._rejected(diagnosis, node, status)
            return feasible
        names = {fn: name for name, fn in fns}
        calls = tuple(fn for _, fn in fns)
        success = Code.SUCCESS
        for node in order:  # the hot loop: thousands of node-filter pairs per second
            for fn in calls:
                s = fn(state, pod, node)
                if s is not None and s.code is not success:
                    s.plugin = names[fn]
                    self._rejected(diagnosis, node, s)
                    break
            else:
                feasible.append(node)
                if len(feasible) >= to_find:
                    break
        return feasible

    @staticmethod
    def _rejected(diagnosis: Diagnosis, node: NodeInfo, status: Status) -> None:
        if not status.is_rejected():
            raise SchedulingError(status)
        diagnosis.node_to_status.set(node.name, status)
        diagnosis.add_plugin_status(status)

    def prioritize_nodes(
        self, fw: Framework, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
    ) -> list[int]:
        if not fw.has_score_plugins():
            return [1] * len(nodes)
        status = fw.run_pre_score_plugins(state, pod, nodes)
        if status is not None:
            raise SchedulingError(status)
        try:
            return fw.run_score_plugins(state, pod, nodes)
        except Exception as err:
            raise SchedulingError(Status.as_error(err)) from err

    def select_host(self, nodes: list[NodeInfo], totals: list[int]) -> str:
        best = max(totals)
        index = self.snapshot.index
        n = max(len(index), 1)
        last = self._last_chosen
        ties = [node for node, total in zip(nodes, totals, strict=True) if total == best]
        chosen = min(ties, key=lambda node: (index.get(node.name, 0) - last - 1) % n)
        self._last_chosen = index.get(chosen.name, 0)
        return chosen.name
