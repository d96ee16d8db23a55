"""NodeLabelPreference: an example scheduler plugin (Filter and Score).

Prefers nodes that carry a label, and with `required: true` accepts only them:

    pluginPaths:
      NodeLabelPreference: kubelite.scheduler.examples.nodelabel:NodeLabelPreference
    profiles:
    - schedulerName: default-scheduler
      plugins:
        multiPoint:
          enabled: [{name: NodeLabelPreference, weight: 5}]
      pluginConfig:
      - name: NodeLabelPreference
        args: {label: example.com/fast-disk, required: false}

A plugin is a class with a NAME and the methods of the extension points it takes part in
(see kubelite/scheduler/framework/interface.py); the framework calls it with its args
(this profile's pluginConfig entry) and the framework Handle.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.events import ActionType, ClusterEvent, ClusterEventWithHint, EventResource
from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo


class NodeLabelPreference:
    NAME: ClassVar[str] = "NodeLabelPreference"

    def __init__(self, args: dict[str, Any], handle: Handle) -> None:
        self.label = str(args.get("label") or "")
        if not self.label:
            raise ValueError("label: Required value")
        self.required = bool(args.get("required", False))

    # Filter: called for each node; None means the node fits.
    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if self.required and self.label not in node.labels:
            # Unresolvable: evicting pods (preemption) cannot add a label to the node.
            return Status.unresolvable(f"node(s) didn't have label {self.label}")
        return None

    # Score: 0..100 per feasible node; the framework multiplies by the configured weight.
    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return MAX_NODE_SCORE if self.label in node.labels else 0

    # Which cluster events may make a pod this plugin rejected fit: a node added or relabelled.
    def events_to_register(self) -> list[ClusterEventWithHint]:
        return [
            ClusterEventWithHint(
                ClusterEvent(EventResource.NODE, ActionType.ADD | ActionType.UPDATE_NODE_LABEL)
            )
        ]
