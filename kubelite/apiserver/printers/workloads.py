"""Workload controllers as table rows: replica counts, job progress, schedules.

Replica counts the controllers have not reported yet read as 0; a `spec.replicas`
left unset reads as 1, the default the API server gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kubelite.apiserver.printers.columns import (
    AGE,
    APPS,
    BATCH,
    CONTAINERS,
    CORE,
    EMPTY,
    IMAGES,
    NAME,
    Cells,
    Column,
    Printer,
    age,
    container_cells,
    doc,
    format_labels,
    format_selector,
    human_duration,
    name_of,
    since,
    template_spec,
    timestamp,
)

_READY = Column("Ready", description="Number of the pod with ready state")


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("spec") or EMPTY


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("status") or EMPTY


def _replicas(obj: dict[str, Any]) -> int:
    replicas = _spec(obj).get("replicas")
    return 1 if replicas is None else replicas


def deployment_row(obj: dict[str, Any], now: float) -> Cells:
    status = _status(obj)
    names, images = container_cells(template_spec(obj))
    # Deployments print their selector without the "<none>" placeholder.
    selector = format_selector(_spec(obj).get("selector"), empty="", invalid="<invalid>")
    return [
        name_of(obj),
        f"{status.get('readyReplicas') or 0}/{_replicas(obj)}",
        status.get("updatedReplicas") or 0,
        status.get("availableReplicas") or 0,
        age(obj, now),
        names,
        images,
        selector,
    ]


def replica_set_row(obj: dict[str, Any], now: float) -> Cells:
    status = _status(obj)
    names, images = container_cells(template_spec(obj))
    return [
        name_of(obj),
        _replicas(obj),
        status.get("replicas") or 0,
        status.get("readyReplicas") or 0,
        age(obj, now),
        names,
        images,
        format_selector(_spec(obj).get("selector")),
    ]


def replication_controller_row(obj: dict[str, Any], now: float) -> Cells:
    status = _status(obj)
    names, images = container_cells(template_spec(obj))
    return [
        name_of(obj),
        _replicas(obj),
        status.get("replicas") or 0,
        status.get("readyReplicas") or 0,
        age(obj, now),
        names,
        images,
        format_labels(_spec(obj).get("selector")),
    ]


def stateful_set_row(obj: dict[str, Any], now: float) -> Cells:
    names, images = container_cells(template_spec(obj))
    return [
        name_of(obj),
        f"{_status(obj).get('readyReplicas') or 0}/{_replicas(obj)}",
        age(obj, now),
        names,
        images,
    ]


def daemon_set_row(obj: dict[str, Any], now: float) -> Cells:
    status = _status(obj)
    pod_spec = template_spec(obj)
    names, images = container_cells(pod_spec)
    counts = [
        status.get(k) or 0
        for k in (
            "desiredNumberScheduled",
            "currentNumberScheduled",
            "numberReady",
            "updatedNumberScheduled",
            "numberAvailable",
        )
    ]
    return [
        name_of(obj),
        *counts,
        format_labels(pod_spec.get("nodeSelector")),
        age(obj, now),
        names,
        images,
        format_selector(_spec(obj).get("selector")),
    ]


def _condition(conditions: Sequence[dict[str, Any]], kind: str) -> bool:
    """Whether the first condition of `kind` is True."""
    for c in conditions:
        if c.get("type") == kind:
            return c.get("status") == "True"
    return False


def job_status(job: dict[str, Any]) -> str:
    conditions = _status(job).get("conditions") or ()
    if _condition(conditions, "Complete"):
        return "Complete"
    if _condition(conditions, "Failed"):
        return "Failed"
    if (job.get("metadata") or EMPTY).get("deletionTimestamp"):
        return "Terminating"
    if _condition(conditions, "Suspended"):
        return "Suspended"
    if _condition(conditions, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def _completions(job: dict[str, Any]) -> str:
    spec, succeeded = _spec(job), _status(job).get("succeeded") or 0
    completions, parallelism = spec.get("completions"), spec.get("parallelism")
    if completions is None and parallelism is None:
        completions = 1  # the API server defaults both to 1 when neither is set
    if completions is not None:
        return f"{succeeded}/{completions}"
    if (parallelism or 1) > 1:
        return f"{succeeded}/1 of {parallelism}"
    return f"{succeeded}/1"


def _job_duration(job: dict[str, Any], now: float) -> str:
    status = _status(job)
    start, end = status.get("startTime"), status.get("completionTime")
    if not start:
        return ""
    if not end:
        return since(start, now)
    return human_duration(timestamp(end) - timestamp(start))


def job_row(obj: dict[str, Any], now: float) -> Cells:
    names, images = container_cells(template_spec(obj))
    return [
        name_of(obj),
        job_status(obj),
        _completions(obj),
        _job_duration(obj, now),
        age(obj, now),
        names,
        images,
        format_selector(_spec(obj).get("selector")),
    ]


def cron_job_row(obj: dict[str, Any], now: float) -> Cells:
    spec, status = _spec(obj), _status(obj)
    job_spec = (spec.get("jobTemplate") or EMPTY).get("spec") or EMPTY
    names, images = container_cells((job_spec.get("template") or EMPTY).get("spec"))
    last = status.get("lastScheduleTime")
    return [
        name_of(obj),
        spec.get("schedule") or "",
        spec.get("timeZone") or "<none>",
        "True" if spec.get("suspend") else "False",
        len(status.get("active") or ()),
        since(last, now) if last else "<none>",
        age(obj, now),
        names,
        images,
        format_selector(job_spec.get("selector")),
    ]


def _controller_name(obj: dict[str, Any]) -> str:
    for ref in (obj.get("metadata") or EMPTY).get("ownerReferences") or ():
        if ref.get("controller"):
            api_version, kind = ref.get("apiVersion") or "", ref.get("kind") or ""
            group = api_version.rpartition("/")[0]
            if not group and not kind:
                return ref.get("name") or ""
            qualified = f"{kind}.{group}" if group else kind
            return f"{qualified.lower()}/{ref.get('name') or ''}"
    return "<none>"


def controller_revision_row(obj: dict[str, Any], now: float) -> Cells:
    return [name_of(obj), _controller_name(obj), obj.get("revision") or 0, age(obj, now)]


def pod_disruption_budget_row(obj: dict[str, Any], now: float) -> Cells:
    spec = _spec(obj)
    min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
    return [
        name_of(obj),
        "N/A" if min_available is None else str(min_available),
        "N/A" if max_unavailable is None else str(max_unavailable),
        _status(obj).get("disruptionsAllowed") or 0,
        age(obj, now),
    ]


def _int(name: str, description: Any, priority: int = 0) -> Column:
    return Column(name, "integer", description, priority=priority)


PRINTERS = {
    ("apps", "deployments"): Printer(
        (
            NAME,
            _READY,
            Column("Up-to-date", description=doc(APPS + "DeploymentStatus", "updatedReplicas")),
            Column("Available", description=doc(APPS + "DeploymentStatus", "availableReplicas")),
            AGE,
            CONTAINERS,
            IMAGES,
            Column("Selector", priority=1, description=doc(APPS + "DeploymentSpec", "selector")),
        ),
        deployment_row,
    ),
    ("apps", "replicasets"): Printer(
        (
            NAME,
            _int("Desired", doc(APPS + "ReplicaSetSpec", "replicas")),
            _int("Current", doc(APPS + "ReplicaSetStatus", "replicas")),
            _int("Ready", doc(APPS + "ReplicaSetStatus", "readyReplicas")),
            AGE,
            CONTAINERS,
            IMAGES,
            Column("Selector", priority=1, description=doc(APPS + "ReplicaSetSpec", "selector")),
        ),
        replica_set_row,
    ),
    ("", "replicationcontrollers"): Printer(
        (
            NAME,
            _int("Desired", doc(CORE + "ReplicationControllerSpec", "replicas")),
            _int("Current", doc(CORE + "ReplicationControllerStatus", "replicas")),
            _int("Ready", doc(CORE + "ReplicationControllerStatus", "readyReplicas")),
            AGE,
            CONTAINERS,
            IMAGES,
            Column("Selector", priority=1, description=doc(CORE + "ReplicationControllerSpec", "selector")),
        ),
        replication_controller_row,
    ),
    ("apps", "statefulsets"): Printer((NAME, _READY, AGE, CONTAINERS, IMAGES), stateful_set_row),
    ("apps", "daemonsets"): Printer(
        (
            NAME,
            _int("Desired", doc(APPS + "DaemonSetStatus", "desiredNumberScheduled")),
            _int("Current", doc(APPS + "DaemonSetStatus", "currentNumberScheduled")),
            _int("Ready", doc(APPS + "DaemonSetStatus", "numberReady")),
            _int("Up-to-date", doc(APPS + "DaemonSetStatus", "updatedNumberScheduled")),
            _int("Available", doc(APPS + "DaemonSetStatus", "numberAvailable")),
            Column("Node Selector", description=doc(CORE + "PodSpec", "nodeSelector")),
            AGE,
            CONTAINERS,
            IMAGES,
            Column("Selector", priority=1, description=doc(APPS + "DaemonSetSpec", "selector")),
        ),
        daemon_set_row,
    ),
    ("batch", "jobs"): Printer(
        (
            NAME,
            Column("Status", description="Status of the job."),
            Column("Completions", description=doc(BATCH + "JobStatus", "succeeded")),
            Column("Duration", description="Time required to complete the job."),
            AGE,
            CONTAINERS,
            IMAGES,
            Column("Selector", priority=1, description=doc(BATCH + "JobSpec", "selector")),
        ),
        job_row,
    ),
    ("batch", "cronjobs"): Printer(
        (
            NAME,
            Column("Schedule", description=doc(BATCH + "CronJobSpec", "schedule")),
            Column("Timezone", description=doc(BATCH + "CronJobSpec", "timeZone")),
            Column("Suspend", "boolean", doc(BATCH + "CronJobSpec", "suspend")),
            _int("Active", doc(BATCH + "CronJobStatus", "active")),
            Column("Last Schedule", description=doc(BATCH + "CronJobStatus", "lastScheduleTime")),
            AGE,
            CONTAINERS,
            IMAGES,
            Column("Selector", priority=1, description=doc(BATCH + "JobSpec", "selector")),
        ),
        cron_job_row,
    ),
    ("apps", "controllerrevisions"): Printer(
        (
            NAME,
            Column("Controller", description="Controller of the object"),
            Column("Revision", description=doc(APPS + "ControllerRevision", "revision")),
            AGE,
        ),
        controller_revision_row,
    ),
    ("policy", "poddisruptionbudgets"): Printer(
        (
            NAME,
            Column("Min Available", description="The minimum number of pods that must be available."),
            Column("Max Unavailable", description="The maximum number of pods that may be unavailable."),
            _int("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time."),
            AGE,
        ),
        pod_disruption_budget_row,
    ),
}
