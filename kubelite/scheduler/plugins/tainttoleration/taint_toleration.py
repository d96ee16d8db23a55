"""TaintToleration (Filter, PreScore, Score).

Filter: the first NoSchedule or NoExecute taint of the node that the pod does not tolerate
rejects the node, unresolvably (evicting pods does not remove taints):
"node(s) had untolerated taint {dedicated: gpu}".

Score: the number of the node's PreferNoSchedule taints the pod does not tolerate (with a
toleration of effect PreferNoSchedule or of any effect), normalised in reverse: the node
with the fewest scores 100.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kubelite.api.taints import tolerates_any
from kubelite.api.types import Object
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.events import ActionType, ClusterEvent, ClusterEventWithHint, EventResource
from kubelite.scheduler.framework.events import QueueingHint as Hint
from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo
from kubelite.scheduler.plugins.helper import default_normalize_score, first_untolerated

_FILTER_EFFECTS = ("NoSchedule", "NoExecute")
_PRE_SCORE_KEY = "PreScoreTaintToleration"


def untolerated_message(taint: Object) -> str:
    return f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value', '')}}}"


class TaintToleration:
    NAME: ClassVar[str] = "TaintToleration"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        pass

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        taints = node.taints
        if not taints:
            return None
        taint = first_untolerated(taints, pod.spec.get("tolerations") or [], _FILTER_EFFECTS)
        return None if taint is None else Status.unresolvable(untolerated_message(taint))

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        prefer = [
            t for t in pod.spec.get("tolerations") or [] if t.get("effect") in ("", None, "PreferNoSchedule")
        ]
        state.write(_PRE_SCORE_KEY, prefer)
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        taints = node.taints
        if not taints:
            return 0
        tolerations = state.get(_PRE_SCORE_KEY, [])
        return sum(
            1 for t in taints if t.get("effect") == "PreferNoSchedule" and not tolerates_any(tolerations, t)
        )

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        return [self.score(state, pod, n) if n.taints else 0 for n in nodes]

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        default_normalize_score(scores, reverse=True)

    def events_to_register(self) -> list[ClusterEventWithHint]:
        return [
            ClusterEventWithHint(
                ClusterEvent(EventResource.NODE, ActionType.ADD | ActionType.UPDATE_NODE_TAINT),
                _tolerated_now,
            )
        ]


def _tolerated_now(pod: Object, old: Object | None, new: Object | None) -> Hint:
    if new is None:
        return Hint.SKIP
    tolerations = (pod.get("spec") or {}).get("tolerations") or []

    def fits(node: Object | None) -> bool:
        taints = ((node or {}).get("spec") or {}).get("taints") or []
        return node is not None and first_untolerated(taints, tolerations, _FILTER_EFFECTS) is None

    return Hint.QUEUE if fits(new) and not fits(old) else Hint.SKIP
