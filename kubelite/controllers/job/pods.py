"""How the Job controller reads its pods: active, terminating, finished, and their index.

    active        not Succeeded/Failed and no deletionTimestamp
    terminating   deletionTimestamp set, not yet Succeeded/Failed
    failed        phase Failed; with podReplacementPolicy TerminatingOrFailed (and no
                  podFailurePolicy) a terminating pod that did not succeed counts as failed
                  too, so an orphaned pod that never reaches a phase is not lost
    succeeded     phase Succeeded

Every pod a Job creates carries the `batch.kubernetes.io/job-tracking` finalizer, so the
pod cannot disappear before the Job counted it; the controller removes the finalizer once
the pod is recorded in the Job's status (see `tracking.py`). Indexed Jobs' pods carry their
completion index in the `batch.kubernetes.io/job-completion-index` annotation and label.
"""

from __future__ import annotations

from kubelite.api.pods import is_deleting, is_ready, is_terminal
from kubelite.api.types import Object

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"
UNKNOWN_INDEX = -1


def phase(pod: Object) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def is_active(pod: Object) -> bool:
    return not is_terminal(pod) and not is_deleting(pod)


def is_terminating(pod: Object) -> bool:
    return is_deleting(pod) and not is_terminal(pod)


def only_replace_failed(job: Object) -> bool:
    """podReplacementPolicy Failed (the default with a podFailurePolicy): a terminating pod
    is neither replaced nor counted until it reaches phase Failed."""
    spec = job.get("spec") or {}
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def is_failed(pod: Object, job: Object) -> bool:
    if phase(pod) == "Failed":
        return True
    if only_replace_failed(job):
        return False
    return is_deleting(pod) and phase(pod) != "Succeeded"


def has_finalizer(pod: Object) -> bool:
    return TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or [])


def uid(pod: Object) -> str:
    return str(pod["metadata"].get("uid", ""))


def completion_index(pod: Object) -> int:
    """The pod's completion index, or UNKNOWN_INDEX when it has none or a bad one."""
    value = (pod["metadata"].get("annotations") or {}).get(COMPLETION_INDEX)
    if value is None:
        return UNKNOWN_INDEX
    try:
        index = int(value)
    except ValueError:
        return UNKNOWN_INDEX
    return index if index >= 0 and str(index) == value else UNKNOWN_INDEX


def count_ready(pods: list[Object]) -> int:
    return sum(1 for p in pods if is_ready(p))


def restarts(pod: Object) -> int:
    status = pod.get("status") or {}
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    return sum(int(s.get("restartCount") or 0) for s in statuses)
