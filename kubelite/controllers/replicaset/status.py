"""A ReplicaSet's status, computed from the pods it owns, and written only when it changed.

replicas              active pods owned (not terminal, not being deleted)
fullyLabeledReplicas  of those, pods whose labels include every template label
readyReplicas         of those, pods whose Ready condition is True
availableReplicas     of those, pods Ready for longer than spec.minReadySeconds
observedGeneration    the generation this status was computed for
conditions            ReplicaFailure=True while creating (reason FailedCreate) or
                      deleting (FailedDelete) pods fails, with the API's message;
                      removed once a sync manages its replicas without error
"""

from __future__ import annotations

import copy

from kubelite.api import errors
from kubelite.api.meta import format_wall
from kubelite.api.pods import is_available, is_ready
from kubelite.api.types import Object
from kubelite.client.resource import ResourceClient

REPLICA_FAILURE = "ReplicaFailure"
_COUNTS = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas")


def error_message(err: BaseException) -> str:
    return err.message if isinstance(err, errors.APIError) else str(err)


def calculate_status(
    owner: Object, pods: list[Object], manage_error: BaseException | None, now: float
) -> Object:
    spec = owner.get("spec") or {}
    status = copy.deepcopy(owner.get("status") or {})
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    min_ready = int(spec.get("minReadySeconds") or 0)
    fully = ready = available = 0
    for pod in pods:
        labels = pod["metadata"].get("labels") or {}
        if all(labels.get(k) == v for k, v in template_labels.items()):
            fully += 1
        if is_ready(pod):
            ready += 1
            if is_available(pod, min_ready, now):
                available += 1
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != REPLICA_FAILURE]
    failure = next((c for c in status.get("conditions") or [] if c.get("type") == REPLICA_FAILURE), None)
    if manage_error is not None and failure is None:
        diff = len(pods) - int(spec.get("replicas", 1))
        reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
        failure = {
            "type": REPLICA_FAILURE,
            "status": "True",
            "lastTransitionTime": format_wall(now),
            "reason": reason,
            "message": error_message(manage_error),
        }
    if failure is not None and manage_error is not None:
        conditions.append(failure)
    if conditions:
        status["conditions"] = conditions
    else:
        status.pop("conditions", None)
    status.update(
        replicas=len(pods), fullyLabeledReplicas=fully, readyReplicas=ready, availableReplicas=available
    )
    return omit_zero(status, "fullyLabeledReplicas", "readyReplicas", "availableReplicas")


def omit_zero(status: Object, *fields: str) -> Object:
    """Drop counts that are 0: Kubernetes serialises these fields with omitempty."""
    for f in fields:
        if not status.get(f):
            status.pop(f, None)
    return status


def _unchanged(owner: Object, status: Object) -> bool:
    old = owner.get("status") or {}
    return (
        all(old.get(k, 0) == status.get(k, 0) for k in _COUNTS)
        and old.get("observedGeneration") == owner["metadata"].get("generation")
        and (old.get("conditions") or []) == (status.get("conditions") or [])
    )


async def update_status(owners: ResourceClient, owner: Object, status: Object, retries: int = 1) -> Object:
    """Write `status` (with observedGeneration) unless nothing changed; on a failed write,
    read the owner afresh and try once more, as Kubernetes does."""
    if _unchanged(owner, status):
        return owner
    md = owner["metadata"]
    for attempt in range(retries + 1):
        status["observedGeneration"] = owner["metadata"].get("generation")
        try:
            return await owners.update({**owner, "status": status}, subresource="status")
        except errors.APIError:
            if attempt >= retries:
                raise
            owner = await owners.get(md["name"], namespace=md.get("namespace"))
    raise AssertionError("unreachable")
