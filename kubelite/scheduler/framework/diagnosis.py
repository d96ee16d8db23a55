"""Why a pod fits nowhere, and the message users read in `kubectl describe pod`.

Every node the filters rejected has a Status; nodes never looked at (a PreFilter said no
node can fit, or only some nodes were candidates) share one "absent" status. The message
counts reasons over all nodes, sorted as text, as Kubernetes' FitError does:

    0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint
    {dedicated: gpu}. preemption: 0/3 nodes are available: 3 Preemption is not helpful
    for scheduling.

The part after the filters' reasons is the PostFilter's message (preemption). When a
PreFilter rejected the pod, its message replaces the per-node counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from kubelite.scheduler.framework.status import Code, Status

NO_NODE_AVAILABLE = "0/{} nodes are available"


class NodeToStatus:
    """Each rejected node's Status; `absent` speaks for the nodes not listed."""

    __slots__ = ("absent", "statuses")

    def __init__(self, absent: Status | None = None) -> None:
        self.statuses: dict[str, Status] = {}
        # Nodes a cycle never looked at cannot be helped by removing pods from them.
        self.absent = absent or Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE)

    def set(self, node: str, status: Status) -> None:
        self.statuses[node] = status

    def get(self, node: str) -> Status:
        return self.statuses.get(node, self.absent)

    def __len__(self) -> int:
        return len(self.statuses)

    def items(self) -> Iterator[tuple[str, Status]]:
        return iter(self.statuses.items())

    def nodes_with_code(self, all_nodes: list[str], code: Code) -> list[str]:
        """Nodes (absent ones included) whose status has `code`, in `all_nodes` order."""
        return [n for n in all_nodes if self.get(n).code is code]


@dataclass(slots=True)
class Diagnosis:
    node_to_status: NodeToStatus = field(default_factory=NodeToStatus)
    unschedulable_plugins: set[str] = field(default_factory=set)
    pending_plugins: set[str] = field(default_factory=set)
    pre_filter_msg: str = ""
    post_filter_msg: str = ""

    def add_plugin_status(self, status: Status) -> None:
        if not status.plugin:
            return
        if status.is_rejected():
            self.unschedulable_plugins.add(status.plugin)
        if status.code is Code.PENDING:
            self.pending_plugins.add(status.plugin)


class FitError(Exception):
    """No node fits the pod; `str()` is the FailedScheduling message."""

    def __init__(self, pod_key: str, num_all_nodes: int, diagnosis: Diagnosis) -> None:
        super().__init__(pod_key)
        self.pod_key = pod_key
        self.num_all_nodes = num_all_nodes
        self.diagnosis = diagnosis

    def __str__(self) -> str:
        d = self.diagnosis
        msg = NO_NODE_AVAILABLE.format(self.num_all_nodes) + ":"
        if d.pre_filter_msg:
            msg += f" {d.pre_filter_msg}."
        else:
            counts: dict[str, int] = {}
            for _, status in d.node_to_status.items():
                for reason in status.reasons:
                    counts[reason] = counts.get(reason, 0) + 1
            missing = self.num_all_nodes - len(d.node_to_status)
            if missing > 0:
                for reason in d.node_to_status.absent.reasons:
                    counts[reason] = counts.get(reason, 0) + missing
            histogram = sorted(f"{n} {reason}" for reason, n in counts.items())
            if histogram:
                msg += f" {', '.join(histogram)}."
        if d.post_filter_msg:
            msg += f" {d.post_filter_msg}"
        return msg


class NoNodesAvailable(Exception):
    """The cluster has no nodes at all."""

    def __init__(self) -> None:
        super().__init__("no nodes available to schedule pods")
