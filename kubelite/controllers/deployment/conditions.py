"""A Deployment's conditions and the reasons Kubernetes gives them.

    Available    True   MinimumReplicasAvailable     "Deployment has minimum availability."
                 False  MinimumReplicasUnavailable   "Deployment does not have minimum availability."
    Progressing  True   NewReplicaSetCreated         Created new replica set "<rs>"
                 True   FoundNewReplicaSet           Found new replica set "<rs>"
                 True   ReplicaSetUpdated            ReplicaSet "<rs>" is progressing.
                 True   NewReplicaSetAvailable       ReplicaSet "<rs>" has successfully progressed.
                 False  ProgressDeadlineExceeded     ReplicaSet "<rs>" has timed out progressing.
                 False  ReplicaSetCreateError        Failed to create new replica set "<rs>": <error>
                 Unknown DeploymentPaused            Deployment is paused
                 Unknown DeploymentResumed           Deployment is resumed
    ReplicaFailure (copied from the new, else an old, ReplicaSet's)

Setting a condition that already has the same status and reason changes nothing; one
with the same status keeps its lastTransitionTime; a changed condition moves to the end
of the list (which is why a settled Deployment lists Available, then Progressing).
"""

from __future__ import annotations

from kubelite.api.meta import format_wall
from kubelite.api.types import Object

AVAILABLE, PROGRESSING, REPLICA_FAILURE = "Available", "Progressing", "ReplicaFailure"

MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
FAILED_RS_CREATE = "ReplicaSetCreateError"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"


def new_condition(type_: str, status: str, reason: str, message: str, now: float) -> Object:
    stamp = format_wall(now)
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def get_condition(status: Object, type_: str) -> Object | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == type_), None)


def set_condition(status: Object, cond: Object) -> None:
    current = get_condition(status, cond["type"])
    if (
        current is not None
        and current.get("status") == cond["status"]
        and current.get("reason") == cond["reason"]
    ):
        return
    if current is not None and current.get("status") == cond["status"]:
        cond = {**cond, "lastTransitionTime": current.get("lastTransitionTime")}
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != cond["type"]] + [
        cond
    ]


def remove_condition(status: Object, type_: str) -> None:
    kept = [c for c in status.get("conditions") or [] if c.get("type") != type_]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)


def from_replica_set_condition(cond: Object) -> Object:
    """A ReplicaSet's condition as a Deployment condition (lastUpdateTime = its transition)."""
    return {
        "type": cond["type"],
        "status": cond["status"],
        "lastUpdateTime": cond.get("lastTransitionTime"),
        "lastTransitionTime": cond.get("lastTransitionTime"),
        "reason": cond.get("reason", ""),
        "message": cond.get("message", ""),
    }
