"""Cluster events: what changed in the cluster, so the queue knows which parked pods to retry.

A pod that did not fit is parked in the queue's unschedulable set with the names of the
plugins that rejected it. Each plugin says (`events_to_register`) which cluster events
could make it change its mind, optionally with a hint function that looks at the change
and answers QUEUE or SKIP (NodeResourcesFit: a node update matters only if allocatable
grew). When an event happens, parked pods rejected by a plugin interested in it move back
to the active or back-off queue; the rest stay parked.

    resource        actions
    Node            ADD, DELETE, UPDATE_NODE_ALLOCATABLE, UPDATE_NODE_LABEL,
                    UPDATE_NODE_TAINT, UPDATE_NODE_CONDITION, UPDATE_NODE_ANNOTATION
    AssignedPod     ADD, DELETE, UPDATE_POD_LABEL, UPDATE_POD_SCALE_DOWN, UPDATE
    UnscheduledPod  the pod itself changed (handled by the queue directly)
    others          ADD, UPDATE, DELETE (Namespace, PersistentVolumeClaim, ...)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, Flag, auto
from typing import Any

from kubelite.api.types import Object


class ActionType(Flag):
    ADD = auto()
    DELETE = auto()
    UPDATE_NODE_ALLOCATABLE = auto()
    UPDATE_NODE_LABEL = auto()
    UPDATE_NODE_TAINT = auto()
    UPDATE_NODE_CONDITION = auto()
    UPDATE_NODE_ANNOTATION = auto()
    UPDATE_POD_LABEL = auto()
    UPDATE_POD_SCALE_DOWN = auto()
    UPDATE_POD_OTHER = auto()
    UPDATE_OTHER = auto()

    @classmethod
    def update(cls) -> ActionType:
        return (
            cls.UPDATE_NODE_ALLOCATABLE
            | cls.UPDATE_NODE_LABEL
            | cls.UPDATE_NODE_TAINT
            | cls.UPDATE_NODE_CONDITION
            | cls.UPDATE_NODE_ANNOTATION
            | cls.UPDATE_POD_LABEL
            | cls.UPDATE_POD_SCALE_DOWN
            | cls.UPDATE_POD_OTHER
            | cls.UPDATE_OTHER
        )

    @classmethod
    def all(cls) -> ActionType:
        return cls.ADD | cls.DELETE | cls.update()


class EventResource(Enum):
    NODE = "Node"
    ASSIGNED_POD = "AssignedPod"
    UNSCHEDULED_POD = "UnscheduledPod"
    NAMESPACE = "Namespace"
    PVC = "PersistentVolumeClaim"
    PV = "PersistentVolume"
    STORAGE_CLASS = "StorageClass"
    SERVICE = "Service"
    WILDCARD = "*"


@dataclass(slots=True, frozen=True)
class ClusterEvent:
    resource: EventResource
    action: ActionType
    label: str = ""  # for logs and the queue's metrics: "NodeAdd", "AssignedPodDelete", ...

    def matches(self, registered: ClusterEvent) -> bool:
        """Whether this event is one `registered` asks for (same resource, overlapping actions)."""
        if registered.resource is EventResource.WILDCARD:
            return True
        return registered.resource is self.resource and bool(registered.action & self.action)

    def __str__(self) -> str:
        return self.label or f"{self.resource.value}{self.action.name}"


class QueueingHint(Enum):
    SKIP = 0
    QUEUE = 1


# hint(pod, old, new) -> QUEUE or SKIP; `old` is None for adds, `new` None for deletes.
HintFn = Callable[[Object, Object | None, Object | None], QueueingHint]


@dataclass(slots=True, frozen=True)
class ClusterEventWithHint:
    event: ClusterEvent
    hint: HintFn | None = None  # None: always QUEUE


NODE_ADD = ClusterEvent(EventResource.NODE, ActionType.ADD, "NodeAdd")
NODE_DELETE = ClusterEvent(EventResource.NODE, ActionType.DELETE, "NodeDelete")
ASSIGNED_POD_ADD = ClusterEvent(EventResource.ASSIGNED_POD, ActionType.ADD, "AssignedPodAdd")
ASSIGNED_POD_DELETE = ClusterEvent(EventResource.ASSIGNED_POD, ActionType.DELETE, "AssignedPodDelete")
UNSCHEDULABLE_TIMEOUT = ClusterEvent(EventResource.WILDCARD, ActionType.all(), "UnschedulableTimeout")
FORCE_ACTIVATE = ClusterEvent(EventResource.WILDCARD, ActionType.all(), "ForceActivate")


def node_update_actions(old: Object, new: Object) -> ActionType:
    """Which parts of a Node changed, as the scheduler's node update events name them."""
    action = ActionType(0)
    o_status, n_status = old.get("status") or {}, new.get("status") or {}
    if o_status.get("allocatable") != n_status.get("allocatable"):
        action |= ActionType.UPDATE_NODE_ALLOCATABLE
    o_md, n_md = old.get("metadata") or {}, new.get("metadata") or {}
    if o_md.get("labels") != n_md.get("labels"):
        action |= ActionType.UPDATE_NODE_LABEL
    o_spec, n_spec = old.get("spec") or {}, new.get("spec") or {}
    if o_spec.get("taints") != n_spec.get("taints") or o_spec.get("unschedulable") != n_spec.get(
        "unschedulable"
    ):
        action |= ActionType.UPDATE_NODE_TAINT
    if _conditions(o_status) != _conditions(n_status):
        action |= ActionType.UPDATE_NODE_CONDITION
    if o_md.get("annotations") != n_md.get("annotations"):
        action |= ActionType.UPDATE_NODE_ANNOTATION
    return action


def _conditions(status: Object) -> dict[str, str]:
    return {c.get("type", ""): c.get("status", "") for c in status.get("conditions") or ()}


def assigned_pod_update_actions(old: Object, new: Object) -> ActionType:
    action = ActionType(0)
    if (old.get("metadata") or {}).get("labels") != (new.get("metadata") or {}).get("labels"):
        action |= ActionType.UPDATE_POD_LABEL
    if _requests(old) != _requests(new) and _requests(new) is not None:
        action |= ActionType.UPDATE_POD_SCALE_DOWN
    return action or ActionType.UPDATE_POD_OTHER


def _requests(pod: Object) -> Any:
    return [
        ((c.get("resources") or {}).get("requests")) for c in (pod.get("spec") or {}).get("containers") or ()
    ]
