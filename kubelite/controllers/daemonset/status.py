"""A DaemonSet's status, counted over the nodes (Kubernetes' updateDaemonSetStatus).

desiredNumberScheduled   nodes that should run a daemon pod
currentNumberScheduled   of those, nodes that have one
numberMisscheduled       nodes that have one but should not run it
numberReady              nodes whose oldest daemon pod is Ready
numberAvailable          ... and has been Ready for minReadySeconds
updatedNumberScheduled   nodes whose oldest daemon pod has the current template
numberUnavailable        desired - available
observedGeneration       the generation the controller acted on (not raised while it
                         still waits for its last creations/deletions to be seen)
"""

from __future__ import annotations

from kubelite.api.pods import is_available, is_ready
from kubelite.api.types import Object
from kubelite.controllers.daemonset.placement import TEMPLATE_GENERATION_LABEL, should_run
from kubelite.controllers.history import REVISION_HASH_LABEL

COUNTS = (
    "currentNumberScheduled",
    "numberMisscheduled",
    "desiredNumberScheduled",
    "numberReady",
    "updatedNumberScheduled",
    "numberAvailable",
    "numberUnavailable",
)


def oldest_first(pods: list[Object]) -> list[Object]:
    return sorted(pods, key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"]))


def is_updated(pod: Object, revision_hash: str, generation: int) -> bool:
    labels = pod["metadata"].get("labels") or {}
    if labels.get(TEMPLATE_GENERATION_LABEL) == str(generation):
        return True
    return bool(revision_hash) and labels.get(REVISION_HASH_LABEL) == revision_hash


def calculate(
    ds: Object, nodes: list[Object], by_node: dict[str, list[Object]], revision_hash: str, now: float
) -> Object:
    counts = dict.fromkeys(COUNTS, 0)
    min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
    generation = int(ds["metadata"].get("generation") or 0)
    for node in nodes:
        run, _ = should_run(ds, node)
        pods = by_node.get(node["metadata"]["name"]) or []
        if not run:
            counts["numberMisscheduled"] += 1 if pods else 0
            continue
        counts["desiredNumberScheduled"] += 1
        if not pods:
            continue
        counts["currentNumberScheduled"] += 1
        pod = oldest_first(pods)[0]
        if is_ready(pod):
            counts["numberReady"] += 1
            counts["numberAvailable"] += 1 if is_available(pod, min_ready, now) else 0
        counts["updatedNumberScheduled"] += 1 if is_updated(pod, revision_hash, generation) else 0
    counts["numberUnavailable"] = counts["desiredNumberScheduled"] - counts["numberAvailable"]
    return counts


def new_status(ds: Object, counts: Object, observe: bool) -> Object:
    status = dict(ds.get("status") or {})
    status.update(counts)
    if observe:
        status["observedGeneration"] = ds["metadata"].get("generation")
    for k in ("numberAvailable", "updatedNumberScheduled", "numberUnavailable"):
        if not status.get(k):
            status.pop(k, None)
    return status
