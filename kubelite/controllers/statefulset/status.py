"""A StatefulSet's status, as Kubernetes computes it over the pods it has.

replicas            pods that exist
readyReplicas       of those, Running and Ready
availableReplicas   ... and Ready for minReadySeconds
currentReplicas     pods (not terminating) made from status.currentRevision
updatedReplicas     pods (not terminating) made from status.updateRevision
currentRevision     the revision the set is rolling from; once every pod is updated
                    and ready under RollingUpdate, the update revision
updateRevision      the revision of the current template
collisionCount      ControllerRevision name collisions so far
observedGeneration  the generation this status was computed for
"""

from __future__ import annotations

from kubelite.api.pods import is_available, is_deleting, is_ready
from kubelite.api.types import Object
from kubelite.controllers.statefulset.identity import revision_of


def running_and_ready(pod: Object) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_ready(pod)


def healthy(pod: Object) -> bool:
    return running_and_ready(pod) and not is_deleting(pod)


def calculate(
    sts: Object, pods: list[Object], current: str, update: str, collision_count: int, now: float
) -> Object:
    min_ready = int((sts.get("spec") or {}).get("minReadySeconds") or 0)
    status: Object = {
        "observedGeneration": sts["metadata"].get("generation"),
        "replicas": len(pods),
        "readyReplicas": 0,
        "availableReplicas": 0,
        "currentReplicas": 0,
        "updatedReplicas": 0,
        "currentRevision": current,
        "updateRevision": update,
        "collisionCount": collision_count,
    }
    for pod in pods:
        if running_and_ready(pod):
            status["readyReplicas"] += 1
            status["availableReplicas"] += 1 if is_available(pod, min_ready, now) else 0
        if not is_deleting(pod):
            status["currentReplicas"] += 1 if revision_of(pod) == current else 0
            status["updatedReplicas"] += 1 if revision_of(pod) == update else 0
    strategy = ((sts.get("spec") or {}).get("updateStrategy") or {}).get("type") or "RollingUpdate"
    if (
        strategy == "RollingUpdate"
        and status["updatedReplicas"] == status["replicas"] == status["readyReplicas"]
    ):
        status["currentReplicas"] = status["updatedReplicas"]
        status["currentRevision"] = update
    return wire(status)


def wire(status: Object) -> Object:
    """Zero counts Kubernetes omits are left out (replicas and availableReplicas stay)."""
    for k in ("readyReplicas", "currentReplicas", "updatedReplicas"):
        if not status.get(k):
            status.pop(k, None)
    return status
