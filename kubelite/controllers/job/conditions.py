"""A Job's conditions, as Kubernetes 1.32 sets them.

    type                status  reason                  when
    ──────────────────  ──────  ──────────────────────  ──────────────────────────────────
    Suspended           True    JobSuspended            spec.suspend became true
                        False   JobResumed              spec.suspend became false again
    FailureTarget       True    BackoffLimitExceeded    more failures than backoffLimit
                                DeadlineExceeded        active longer than activeDeadlineSeconds
                                PodFailurePolicy        a FailJob rule matched a failed pod
    Failed              True    (FailureTarget's)       ... once no pod is left terminating
    SuccessCriteriaMet  True    CompletionsReached      enough pods succeeded
    Complete            True    CompletionsReached      ... once no pod is left terminating

The interim FailureTarget and SuccessCriteriaMet conditions record the decision while the
controller still deletes the remaining pods; Failed and Complete (the terminal ones, which
`kubectl wait` and the TTL controller look for) follow when nothing runs any more.
"""

from __future__ import annotations

from kubelite.api.meta import format_wall
from kubelite.api.types import Object

COMPLETE, FAILED, SUSPENDED = "Complete", "Failed", "Suspended"
FAILURE_TARGET, SUCCESS_CRITERIA_MET = "FailureTarget", "SuccessCriteriaMet"
BACKOFF_LIMIT_EXCEEDED = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE_EXCEEDED = ("DeadlineExceeded", "Job was active longer than specified deadline")
COMPLETIONS_REACHED = ("CompletionsReached", "Reached expected number of succeeded pods")
POD_FAILURE_POLICY = "PodFailurePolicy"
# The terminal condition each interim one leads to.
TERMINAL_FOR = {FAILURE_TARGET: FAILED, SUCCESS_CRITERIA_MET: COMPLETE}


def find(status: Object, type_: str) -> Object | None:
    for c in status.get("conditions") or []:
        if c.get("type") == type_ and c.get("status") == "True":
            return c  # type: ignore[no-any-return]
    return None


def is_finished(job: Object) -> bool:
    status = job.get("status") or {}
    return find(status, COMPLETE) is not None or find(status, FAILED) is not None


def new(type_: str, reason: str, message: str, now: float, status: str = "True") -> Object:
    stamp = format_wall(now)
    return {
        "type": type_,
        "status": status,
        "lastProbeTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def ensure(status: Object, type_: str, value: str, reason: str, message: str, now: float) -> bool:
    """Give `status` a condition `type_` with `value`; True if that changed anything. A
    False condition is only written over an existing one (never added fresh)."""
    conditions = status.setdefault("conditions", [])
    for c in conditions:
        if c.get("type") != type_:
            continue
        if c.get("status") == value:
            return False
        c.update(new(type_, reason, message, now, value))
        return True
    if value != "True":
        if not conditions:
            status.pop("conditions")
        return False
    conditions.append(new(type_, reason, message, now))
    return True
