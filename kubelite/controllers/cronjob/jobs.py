"""The Jobs a CronJob makes, its list of active ones, and the finished ones it keeps.

A Job for the start scheduled at time T is named `<cronjob>-<T in minutes since the
epoch>`, so two controllers (or one that restarted) can never start the same run twice:
the second create is an AlreadyExists. It carries the template's labels and annotations,
`batch.kubernetes.io/cronjob-scheduled-timestamp` (T in RFC 3339, in the CronJob's time
zone) and a controller reference to the CronJob.

status.active lists references to the CronJob's running Jobs; finished Jobs beyond
successfulJobsHistoryLimit / failedJobsHistoryLimit are deleted oldest first (by
startTime, then name), in the background, with a SuccessfulDelete event.
"""

from __future__ import annotations

import copy
import datetime as dt

from kubelite.api.types import Object
from kubelite.controllers.ownership import new_controller_ref

SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def job_name(cronjob: Object, scheduled: dt.datetime) -> str:
    return f"{cronjob['metadata']['name']}-{int(scheduled.timestamp()) // 60}"


def _rfc3339(t: dt.datetime) -> str:
    text = t.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def job_from_template(cronjob: Object, scheduled: dt.datetime, zone: dt.tzinfo) -> Object:
    template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    tmd = template.get("metadata") or {}
    annotations = dict(tmd.get("annotations") or {})
    annotations[SCHEDULED_TIMESTAMP] = _rfc3339(scheduled.astimezone(zone))
    md: Object = {
        "name": job_name(cronjob, scheduled),
        "annotations": annotations,
        "ownerReferences": [new_controller_ref(cronjob, "batch/v1", "CronJob")],
    }
    if tmd.get("labels"):
        md["labels"] = dict(tmd["labels"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": md,
        "spec": copy.deepcopy(template.get("spec") or {}),
    }


def reference(job: Object) -> Object:
    md = job["metadata"]
    return {
        "kind": "Job",
        "namespace": md.get("namespace", ""),
        "name": md["name"],
        "uid": md["uid"],
        "apiVersion": "batch/v1",
        "resourceVersion": md.get("resourceVersion", ""),
    }


def in_active(status: Object, uid: str) -> bool:
    return any(r.get("uid") == uid for r in status.get("active") or [])


def in_active_by_name(status: Object, name: str) -> bool:
    return any(r.get("name") == name for r in status.get("active") or [])


def remove_active(status: Object, uid: str) -> None:
    status["active"] = [r for r in status.get("active") or [] if r.get("uid") != uid]


def finished_type(job: Object) -> str:
    """ "Complete" or "Failed" once the Job ended, else ""."""
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return str(c["type"])
    return ""


def oldest_first(jobs: list[Object]) -> list[Object]:
    def key(j: Object) -> tuple[int, str, str]:
        start = (j.get("status") or {}).get("startTime")
        return (0 if start else 1, start or "", j["metadata"]["name"])

    return sorted(jobs, key=key)


def rfc1123z(t: dt.datetime) -> str:
    """Go's time.RFC1123Z, as the MissSchedule event writes the time."""
    return t.astimezone(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
