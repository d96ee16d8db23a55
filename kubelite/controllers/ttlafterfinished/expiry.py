"""When a finished Job expires: its finish time plus spec.ttlSecondsAfterFinished.

A Job needs clean-up when it sets ttlSecondsAfterFinished and has a Complete or Failed
condition that is True; it finished at that condition's lastTransitionTime. A finish time
in the future (clock skew between the Job controller and this one) is logged and the Job
simply waits longer.
"""

from __future__ import annotations

import logging

from kubelite.api.meta import parse_time
from kubelite.api.types import Object

log = logging.getLogger("kubelite.controllers.ttlafterfinished")


class NoFinishTime(ValueError):
    pass


def needs_cleanup(job: Object) -> bool:
    if (job.get("spec") or {}).get("ttlSecondsAfterFinished") is None:
        return False
    return finished_condition(job) is not None


def finished_condition(job: Object) -> Object | None:
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c  # type: ignore[no-any-return]
    return None


def expires_at(job: Object) -> float:
    """Wall seconds at which `job` (one that needs clean-up) expires."""
    md = job["metadata"]
    cond = finished_condition(job)
    if cond is None:
        raise NoFinishTime(
            f"unable to find the status of the finished Job {md.get('namespace')}/{md['name']}"
        )
    stamp = cond.get("lastTransitionTime")
    if not stamp:
        raise NoFinishTime(
            f"unable to find the time when the Job {md.get('namespace')}/{md['name']} finished"
        )
    return parse_time(stamp).timestamp() + int(job["spec"]["ttlSecondsAfterFinished"])


def time_left(job: Object, now: float) -> float:
    """Seconds until `job` expires (<= 0: expired)."""
    at = expires_at(job)
    finished = at - int(job["spec"]["ttlSecondsAfterFinished"])
    if finished > now:
        log.warning(
            "found Job finish time in the future; clock skew?", extra={"job": job["metadata"]["name"]}
        )
    return at - now
