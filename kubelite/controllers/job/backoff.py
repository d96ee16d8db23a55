"""The delay before a Job replaces failed pods: 10 s after the first failure, doubling with
each further failure since the last success, at most 10 minutes.

    failures since last success   0    1     2     3     ...   7+
    delay after the last failure  0    10s   20s   40s   ...   10m (capped)

A record per Job holds the number of failures since the last success and when the last
one happened (the latest container `finishedAt`; else when the pod stopped being Ready;
else its deletion). Pods are counted into it once, when the controller first records them
as finished. A success newer than every new failure resets the count.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelite.api.meta import parse_time
from kubelite.api.types import Object

DEFAULT_BACKOFF = 10.0
MAX_BACKOFF = 600.0


@dataclass(slots=True)
class BackoffRecord:
    failures: int = 0
    last_failure: float | None = None  # wall seconds


def finished_at(pod: Object, now: float) -> float:
    """When the pod finished, by its containers, its Ready condition, or its deletion."""
    status = pod.get("status") or {}
    latest: float | None = None
    for cs in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        stamp = ((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")
        if stamp:
            t = parse_time(stamp).timestamp()
            latest = t if latest is None else max(latest, t)
    if latest is not None:
        return latest
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready" and cond.get("status") == "False" and cond.get("lastTransitionTime"):
            return parse_time(cond["lastTransitionTime"]).timestamp()
    deleted = pod["metadata"].get("deletionTimestamp")
    return parse_time(deleted).timestamp() if deleted else now


def next_record(
    record: BackoffRecord, succeeded: list[Object], failed: list[Object], now: float
) -> BackoffRecord:
    """`record` after pods newly seen finished."""
    fail_times = sorted(finished_at(p, now) for p in failed)
    if not succeeded:
        if not fail_times:
            return record
        return BackoffRecord(record.failures + len(fail_times), fail_times[-1])
    if not fail_times:
        return BackoffRecord()
    last_success = max(finished_at(p, now) for p in succeeded)
    after = [t for t in fail_times if t > last_success]
    if not after:
        return BackoffRecord()
    return BackoffRecord(len(after), after[-1])


def remaining(record: BackoffRecord, now: float) -> float:
    """Seconds still to wait before creating pods (0: go ahead)."""
    if record.failures == 0 or record.last_failure is None:
        return 0.0
    delay = min(DEFAULT_BACKOFF * 2 ** min(record.failures - 1, 32), MAX_BACKOFF)
    elapsed = now - record.last_failure
    return 0.0 if elapsed >= delay else delay - elapsed
