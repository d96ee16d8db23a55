"""DefaultPreemption (PostFilter): make room for a pod that fits nowhere by evicting pods of
lower priority.

    1. eligible? Not with preemptionPolicy Never ("not eligible due to preemptionPolicy=Never.");
       not while victims of its earlier preemption are still terminating on its nominated node
    2. candidates: nodes whose Filter status was Unschedulable (not unresolvable: evicting
       pods cannot remove a taint), tried from a random offset; stop after
       max(10 % of them, 100) candidates with at least one that violates no budget
    3. victims per node and the best node (victims.py)
    4. for each victim: a DisruptionTarget condition (PreemptionByScheduler), a graceful
       delete, a "Preempted" event; lower-priority pods nominated to that node lose their
       nomination
    5. the pod is nominated to the node (status.nominatedNodeName) and retried when the
       victims are gone

When no node can be helped the message says why, per node:
"preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any, ClassVar

from kubelite.api.errors import APIError, NotFound
from kubelite.api.meta import format_wall
from kubelite.api.types import Object
from kubelite.client.resource import PatchType
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.diagnosis import Diagnosis, FitError, NodeToStatus
from kubelite.scheduler.framework.handle import Handle, Listers
from kubelite.scheduler.framework.interface import PostFilterResult
from kubelite.scheduler.framework.status import Code, Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo
from kubelite.scheduler.plugins.defaultpreemption.victims import (
    Victims,
    importance_key,
    pick_one_node,
    split_by_pdb_violation,
)

log = logging.getLogger("kubelite.scheduler.preemption")
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


class DefaultPreemption:
    NAME: ClassVar[str] = "DefaultPreemption"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        args = args or {}
        self.handle = handle or Handle()
        self.min_candidate_nodes_percentage = int(args.get("minCandidateNodesPercentage", 10))
        self.min_candidate_nodes_absolute = int(args.get("minCandidateNodesAbsolute", 100))
        if not 0 <= self.min_candidate_nodes_percentage <= 100:
            raise ValueError("minCandidateNodesPercentage: Invalid value: not in valid range [0, 100]")
        if self.min_candidate_nodes_absolute < 0:
            raise ValueError("minCandidateNodesAbsolute: Invalid value: not in valid range [0, inf)")
        self.rand = random.Random()
        self.attempts = 0  # for metrics: scheduler_preemption_attempts_total

    async def post_filter(
        self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
    ) -> tuple[PostFilterResult | None, Status | None]:
        self.attempts += 1
        if self.handle.metrics is not None:
            self.handle.metrics.preemption_attempts.inc()
        result, status = await self.preempt(state, pod, statuses)
        if status is not None and status.message():
            status = Status(status.code, ("preemption: " + status.message(),), status.plugin)
        return result, status

    async def preempt(
        self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
    ) -> tuple[PostFilterResult | None, Status | None]:
        latest = Listers.lookup(self.handle.listers.pods, pod.name, pod.namespace)
        if latest is not None and latest is not pod.pod:
            pod = PodInfo(latest)
        ok, why = self.eligible(pod, statuses)
        if not ok:
            return None, Status.unschedulable(why)
        snapshot = self.handle.snapshot()
        all_nodes = snapshot.node_info_list
        candidates, node_statuses = self.find_candidates(state, pod, all_nodes, statuses)
        if not candidates:
            diagnosis = Diagnosis(node_statuses)
            fit = FitError(pod.key, len(all_nodes), diagnosis)
            return PostFilterResult(""), Status.unschedulable(str(fit))
        best = pick_one_node(candidates, [n.name for n in all_nodes])
        victims = candidates[best]
        if self.handle.metrics is not None:
            self.handle.metrics.preemption_victims.observe(len(victims.pods))
        status = await self.prepare_candidate(best, victims, pod)
        if status is not None:
            return None, status
        return PostFilterResult(best), None

    def eligible(self, pod: PodInfo, statuses: NodeToStatus) -> tuple[bool, str]:
        if pod.spec.get("preemptionPolicy") == "Never":
            return False, "not eligible due to preemptionPolicy=Never."
        nominated = (pod.pod.get("status") or {}).get("nominatedNodeName")
        if nominated:
            if statuses.get(nominated).code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return True, ""
            node = self.handle.snapshot().get(nominated)
            if node is not None:
                for p in node.pods:
                    if p.priority < pod.priority and _terminating_by_preemption(p.pod):
                        return False, "not eligible due to a terminating pod on the nominated node."
        return True, ""

    def num_candidates(self, n: int) -> int:
        k = n * self.min_candidate_nodes_percentage // 100
        return min(max(k, self.min_candidate_nodes_absolute), n)

    def find_candidates(
        self, state: CycleState, pod: PodInfo, all_nodes: list[NodeInfo], statuses: NodeToStatus
    ) -> tuple[dict[str, Victims], NodeToStatus]:
        node_statuses = NodeToStatus(Status.unresolvable(NOT_HELPFUL))
        potential = [n for n in all_nodes if statuses.get(n.name).code is Code.UNSCHEDULABLE]
        if not potential:
            return {}, node_statuses
        pdbs = Listers.items(self.handle.listers.pdbs)
        offset = self.rand.randrange(len(potential))
        wanted = self.num_candidates(len(potential))
        fine: dict[str, Victims] = {}
        violating: dict[str, Victims] = {}
        for i in range(len(potential)):
            node = potential[(offset + i) % len(potential)]
            victims, status = self.select_victims_on_node(state.clone(), pod, node.clone(), pdbs)
            if status is None and victims is not None and victims.pods:
                (fine if victims.num_pdb_violations == 0 else violating)[node.name] = victims
                if fine and len(fine) + len(violating) >= wanted:
                    break
                continue
            node_statuses.set(
                node.name,
                status or Status(Code.ERROR, (f'expected at least one victim pod on node "{node.name}"',)),
            )
        return {**fine, **violating}, node_statuses

    def select_victims_on_node(
        self, state: CycleState, pod: PodInfo, node: NodeInfo, pdbs: list[Object]
    ) -> tuple[Victims | None, Status | None]:
        fw = self.handle.framework
        assert fw is not None
        potential = [p for p in node.pods if p.priority < pod.priority]
        if not potential:
            return None, Status.unresolvable(NO_VICTIMS)
        for p in potential:
            node.remove_pod(p.uid)
            status = fw.run_pre_filter_extension_remove_pod(state, pod, p, node)
            if status is not None:
                return None, status
        status = fw.run_filter_plugins_with_nominated_pods(state, pod, node)
        if status is not None:
            return None, status
        potential.sort(key=importance_key)
        violating, non_violating = split_by_pdb_violation(potential, pdbs)
        victims: list[PodInfo] = []
        num_violating = 0

        def reprieve(p: PodInfo) -> bool:
            node.add_pod(p)
            fw.run_pre_filter_extension_add_pod(state, pod, p, node)
            if fw.run_filter_plugins_with_nominated_pods(state, pod, node) is None:
                return True
            node.remove_pod(p.uid)
            fw.run_pre_filter_extension_remove_pod(state, pod, p, node)
            victims.append(p)
            return False

        for p in violating:
            if not reprieve(p):
                num_violating += 1
        for p in non_violating:
            reprieve(p)
        if violating and non_violating:
            victims.sort(key=importance_key)
        return Victims(victims, num_violating), None

    async def prepare_candidate(self, node: str, victims: Victims, pod: PodInfo) -> Status | None:
        results = await asyncio.gather(
            *(self.preempt_pod(node, pod, v) for v in victims.pods if not v.deleting), return_exceptions=True
        )
        for r in results:
            if isinstance(r, BaseException):
                return Status.as_error(r, self.NAME)
        nominator = self.handle.nominator
        for other in nominator.pods_for_node(node):
            if other.priority < pod.priority:
                nominator.delete(other.uid)
                await self._clear_nomination(other)
        return None

    async def preempt_pod(self, node: str, preemptor: PodInfo, victim: PodInfo) -> None:
        pods = self.handle.client.resource("pods")
        condition = {
            "type": "DisruptionTarget",
            "status": "True",
            "reason": "PreemptionByScheduler",
            "message": f"{preemptor.scheduler_name}: preempting to accommodate a higher priority pod",
            "lastTransitionTime": format_wall(self.handle.clock.wall()),
        }
        try:
            await pods.patch(
                victim.name,
                {"status": {"conditions": [condition]}},
                namespace=victim.namespace,
                subresource="status",
                patch_type=PatchType.STRATEGIC,
            )
            await pods.delete(victim.name, namespace=victim.namespace, preconditions={"uid": victim.uid})
        except NotFound:
            return  # already gone
        except APIError as err:
            log.warning("could not preempt a pod: %s", err, extra={"victim": victim.key})
            raise
        log.info("preempted a pod", extra={"preemptor": preemptor.key, "victim": victim.key, "node": node})
        self.handle.recorder.event(
            victim.pod, "Normal", "Preempted", f"Preempted by pod {preemptor.uid} on node {node}"
        )

    async def _clear_nomination(self, pod: PodInfo) -> None:
        if not (pod.pod.get("status") or {}).get("nominatedNodeName"):
            return
        try:
            await self.handle.client.resource("pods").patch(
                pod.name,
                {"status": {"nominatedNodeName": None}},
                namespace=pod.namespace,
                subresource="status",
                patch_type=PatchType.MERGE,
            )
        except APIError as err:
            log.info("could not clear a nomination: %s", err, extra={"pod": pod.key})


def _terminating_by_preemption(pod: Object) -> bool:
    if not pod["metadata"].get("deletionTimestamp"):
        return False
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "DisruptionTarget":
            return bool(c.get("status") == "True" and c.get("reason") == "PreemptionByScheduler")
    return False
