"""The two kinds the replica controller manages: apps/v1 ReplicaSet and v1 ReplicationController.

They differ only in where they live, how their selector is written (a LabelSelector with
matchLabels/matchExpressions, or a plain map) and the names under which their controller
reports; Kubernetes runs the ReplicationController manager as the ReplicaSet controller
over converted objects, and kubelite runs one controller over either kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelite.api.selectors.labels import (
    LabelSelector,
    selector_from_label_selector_object,
    selector_from_set,
)
from kubelite.api.types import Object


@dataclass(slots=True, frozen=True)
class ReplicaKind:
    kind: str
    api_version: str
    group: str
    plural: str
    controller_name: str  # --controllers name
    alias: str  # the name before Kubernetes 1.28
    component: str  # events' source component
    queue_name: str  # workqueue metrics' `name` label
    map_selector: bool  # spec.selector is a plain map (ReplicationController)

    def selector(self, owner: Object) -> LabelSelector:
        """The owner's selector; an empty one matches nothing (never adopt every pod)."""
        raw = (owner.get("spec") or {}).get("selector")
        if not raw:
            return LabelSelector.nothing()
        if self.map_selector:
            return selector_from_set(raw)
        if not raw.get("matchLabels") and not raw.get("matchExpressions"):
            return LabelSelector.nothing()
        return selector_from_label_selector_object(raw)


REPLICA_SET = ReplicaKind(
    kind="ReplicaSet",
    api_version="apps/v1",
    group="apps",
    plural="replicasets",
    controller_name="replicaset-controller",
    alias="replicaset",
    component="replicaset-controller",
    queue_name="replicaset",
    map_selector=False,
)

REPLICATION_CONTROLLER = ReplicaKind(
    kind="ReplicationController",
    api_version="v1",
    group="",
    plural="replicationcontrollers",
    controller_name="replicationcontroller-controller",
    alias="replicationcontroller",
    component="replication-controller",
    queue_name="replicationmanager",
    map_selector=True,
)
