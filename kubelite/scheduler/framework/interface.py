"""The scheduling framework's extension points: one small Protocol each.

A pod's way through one profile's plugins (Kubernetes' scheduling framework):

    PreEnqueue ─▶ queue (QueueSort orders it)
                    │ pop
    scheduling cycle (one at a time, on a snapshot of the cluster):
      PreFilter ─▶ Filter (per node) ─▶ [no node fits: PostFilter, e.g. preemption]
        ─▶ PreScore ─▶ Score (per node) ─▶ NormalizeScore ─▶ highest total wins
        ─▶ assume the pod on the node ─▶ Reserve ─▶ Permit
    binding cycle (concurrently, off the scheduling loop):
      WaitOnPermit ─▶ PreBind ─▶ Bind ─▶ PostBind
      any failure: Unreserve, forget the assumed pod, back to the queue

A plugin is a class with a `NAME` (Kubernetes' plugin name) that implements the methods of
the extension points it takes part in; the framework finds them by method name, so one
class can be a PreFilter, a Filter and a Score plugin at once. Methods on the scheduling
cycle are synchronous (they run for thousands of nodes and must not wait); PostFilter and
the binding cycle's PreBind and Bind are coroutines because they talk to the API server.

Statuses: None is success; see `status.py` for the codes. A Filter or Score must not change
the NodeInfo it is given, nor anything in the snapshot: other pods' cycles read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.events import ClusterEventWithHint
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo

if TYPE_CHECKING:
    from kubelite.scheduler.framework.diagnosis import NodeToStatus
    from kubelite.scheduler.queue.queued import QueuedPodInfo

MAX_NODE_SCORE = 100
MIN_NODE_SCORE = 0
MAX_TOTAL_SCORE = 2**63 - 1


class Plugin(Protocol):
    NAME: ClassVar[str]


@runtime_checkable
class QueueSortPlugin(Protocol):
    NAME: ClassVar[str]

    def less(self, a: QueuedPodInfo, b: QueuedPodInfo) -> bool:
        """Whether `a` pops before `b`. Only one QueueSort plugin per scheduler."""
        ...


@runtime_checkable
class PreEnqueuePlugin(Protocol):
    NAME: ClassVar[str]

    def pre_enqueue(self, pod: PodInfo) -> Status | None:
        """Whether the pod may enter the active queue at all (e.g. no scheduling gates).
        Called on every add and update of an unscheduled pod; must be cheap."""
        ...


@dataclass(slots=True)
class PreFilterResult:
    """Nodes a PreFilter already knows are the only candidates (None: all nodes)."""

    node_names: set[str] | None = None

    def merge(self, other: PreFilterResult | None) -> PreFilterResult:
        if other is None or other.node_names is None:
            return self
        if self.node_names is None:
            return PreFilterResult(set(other.node_names))
        return PreFilterResult(self.node_names & other.node_names)


class PreFilterExtensions(Protocol):
    """How a PreFilter's state changes when a pod is added to or removed from a node, so
    preemption can evaluate "what if these pods were gone" incrementally."""

    def add_pod(self, state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo) -> Status | None: ...

    def remove_pod(
        self, state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo
    ) -> Status | None: ...


@runtime_checkable
class PreFilterPlugin(Protocol):
    NAME: ClassVar[str]

    def pre_filter(
        self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
    ) -> tuple[PreFilterResult | None, Status | None]:
        """Work out, once per cycle, what Filter needs. Skip: this plugin's Filter is not
        needed for this pod. Unschedulable: no node can fit, Filter is not run at all."""
        ...

    def pre_filter_extensions(self) -> PreFilterExtensions | None: ...


@runtime_checkable
class FilterPlugin(Protocol):
    NAME: ClassVar[str]

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        """Whether the pod can run on the node; None if it can. Called once per node per
        cycle (and again for nodes with nominated pods); must not change `node`."""
        ...


@dataclass(slots=True)
class PostFilterResult:
    """Where the pod is nominated to go once room frees (None: leave the nomination alone)."""

    nominated_node_name: str | None = None


@runtime_checkable
class PostFilterPlugin(Protocol):
    NAME: ClassVar[str]

    async def post_filter(
        self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
    ) -> tuple[PostFilterResult | None, Status | None]:
        """Called when no node fits, with each node's Filter status. Success with a
        nominated node: the pod will fit there later (preemption made room)."""
        ...


@runtime_checkable
class PreScorePlugin(Protocol):
    NAME: ClassVar[str]

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        """Work out what Score needs for these feasible nodes. Skip: no Score this cycle."""
        ...


@runtime_checkable
class ScorePlugin(Protocol):
    NAME: ClassVar[str]

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        """The node's score for the pod; raise to report an error."""
        ...


@runtime_checkable
class ScoreNodesPlugin(Protocol):
    """Optional, kubelite's own: score every feasible node in one call. A plugin may offer it
    beside `score` when a loop of its own is much cheaper than one call per node; the results
    must equal `[score(state, pod, n) for n in nodes]`."""

    NAME: ClassVar[str]

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]: ...


@runtime_checkable
class NormalizeScorePlugin(Protocol):
    NAME: ClassVar[str]

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        """Rescale this plugin's scores (one per feasible node, in place) to 0..100."""
        ...


@runtime_checkable
class ReservePlugin(Protocol):
    NAME: ClassVar[str]

    def reserve(self, state: CycleState, pod: PodInfo, node_name: str) -> Status | None:
        """The pod is assumed on the node; claim what the plugin tracks for it."""
        ...

    def unreserve(self, state: CycleState, pod: PodInfo, node_name: str) -> None:
        """Undo `reserve` (the binding failed or a later plugin refused). Idempotent."""
        ...


@runtime_checkable
class PermitPlugin(Protocol):
    NAME: ClassVar[str]

    def permit(self, state: CycleState, pod: PodInfo, node_name: str) -> tuple[Status | None, float]:
        """Allow (None), deny, or Wait with a timeout in seconds before binding starts."""
        ...


@runtime_checkable
class PreBindPlugin(Protocol):
    NAME: ClassVar[str]

    async def pre_bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status | None:
        """Prepare the node for the pod before the binding (attach volumes, say)."""
        ...


@runtime_checkable
class BindPlugin(Protocol):
    NAME: ClassVar[str]

    async def bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status | None:
        """Bind the pod, or return Skip to let the next Bind plugin do it."""
        ...


@runtime_checkable
class PostBindPlugin(Protocol):
    NAME: ClassVar[str]

    def post_bind(self, state: CycleState, pod: PodInfo, node_name: str) -> None:
        """Informational: the pod is bound."""
        ...


@runtime_checkable
class EnqueueExtensions(Protocol):
    NAME: ClassVar[str]

    def events_to_register(self) -> list[ClusterEventWithHint]:
        """The cluster events after which a pod this plugin rejected may fit."""
        ...


@dataclass(slots=True)
class WaitingPod:
    """A pod a Permit plugin holds before binding; `allow`/`reject` decide it."""

    pod: PodInfo
    pending: set[str]
    rejected: str = ""
    decided: Any = field(default=None)  # an asyncio.Future[Status | None], set by the framework


EXTENSION_POINTS: dict[str, type] = {
    "queueSort": QueueSortPlugin,
    "preEnqueue": PreEnqueuePlugin,
    "preFilter": PreFilterPlugin,
    "filter": FilterPlugin,
    "postFilter": PostFilterPlugin,
    "preScore": PreScorePlugin,
    "score": ScorePlugin,
    "reserve": ReservePlugin,
    "permit": PermitPlugin,
    "preBind": PreBindPlugin,
    "bind": BindPlugin,
    "postBind": PostBindPlugin,
}
