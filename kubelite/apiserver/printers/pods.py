"""Pods (and pod templates) as table rows: the STATUS column users read first.

STATUS is derived the way Kubernetes derives it, in this order:

    status.reason, else status.phase            "Running", "Pending", "Evicted"
      -> SchedulingGated                          a PodScheduled condition says so
      -> first init container not done            Init:<reason>, Init:ExitCode:N,
                                                  Init:Signal:N, or Init:i/n
      -> else the last app container that says something (scanning from the end):
         waiting reason, terminated reason,       "CrashLoopBackOff", "Completed",
         or ExitCode:N / Signal:N                 "ContainerCreating", "Error"
         ("Completed" with a container still running reads Running or NotReady)
      -> deletionTimestamp set                    "Terminating" ("Unknown" if NodeLost;
                                                  finished pods keep their phase)

Sidecars (init containers with `restartPolicy: Always`) count towards READY and
RESTARTS like app containers. RESTARTS is `N`, or `N (5m ago)` once a container has
a last termination time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kubelite.apiserver.printers.columns import (
    AGE,
    CORE,
    EMPTY,
    NAME,
    Cells,
    Column,
    Printer,
    age,
    container_cells,
    doc,
    format_labels,
    human_duration,
    name_of,
    timestamp,
)

_COMPLETED = [
    {
        "type": "Completed",
        "status": "True",
        "reason": "Succeeded",
        "message": "The pod has completed successfully.",
    }
]
_FAILED = [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]

POD_COLUMNS = (
    NAME,
    Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", description="The aggregate status of the containers in this pod."),
    Column(
        "Restarts",
        description="The number of times the containers in this pod have been restarted "
        "and when the last container in this pod has restarted.",
    ),
    AGE,
    Column("IP", priority=1, description=doc(CORE + "PodStatus", "podIP")),
    Column("Node", priority=1, description=doc(CORE + "PodSpec", "nodeName")),
    Column("Nominated Node", priority=1, description=doc(CORE + "PodStatus", "nominatedNodeName")),
    Column("Readiness Gates", priority=1, description=doc(CORE + "PodSpec", "readinessGates")),
)


def _finished_at(cs: dict[str, Any]) -> float:
    """When the container last terminated (0 when it never did)."""
    last = cs.get("lastState")
    terminated = last.get("terminated") if last else None
    finished = terminated.get("finishedAt") if terminated else None
    return timestamp(finished) if finished else 0.0


def _exit_reason(terminated: dict[str, Any], prefix: str) -> str:
    if terminated.get("reason"):
        return prefix + str(terminated["reason"])
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode') or 0}"


def _first_condition_true(conditions: Sequence[dict[str, Any]], kind: str) -> bool:
    for c in conditions:
        if c.get("type") == kind:
            return c.get("status") == "True"
    return False


def _any_condition_true(conditions: Sequence[dict[str, Any]], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)


class _Init:
    """What the init containers contribute: a reason while blocked, sidecar counts."""

    __slots__ = (
        "blocked",
        "last_restart",
        "ready",
        "restarts",
        "sidecar_last_restart",
        "sidecar_restarts",
        "sidecars",
    )

    def __init__(self, specs: Sequence[dict[str, Any]], statuses: Sequence[dict[str, Any]]) -> None:
        sidecar_names = {c.get("name") for c in specs if c.get("restartPolicy") == "Always"}
        self.sidecars = len(sidecar_names)
        self.blocked: str | None = None
        self.ready = self.restarts = self.sidecar_restarts = 0
        self.last_restart = self.sidecar_last_restart = 0.0
        for i, cs in enumerate(statuses):
            count = cs.get("restartCount") or 0
            finished = _finished_at(cs)
            self.restarts += count
            self.last_restart = max(self.last_restart, finished)
            sidecar = cs.get("name") in sidecar_names
            if sidecar:
                self.sidecar_restarts += count
                self.sidecar_last_restart = max(self.sidecar_last_restart, finished)
            state = cs.get("state") or EMPTY
            terminated, waiting = state.get("terminated"), state.get("waiting")
            if terminated is not None and not terminated.get("exitCode"):
                continue  # finished successfully
            if sidecar and cs.get("started"):
                self.ready += bool(cs.get("ready"))
                continue
            if terminated is not None:
                self.blocked = _exit_reason(terminated, "Init:")
            elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
                self.blocked = "Init:" + waiting["reason"]
            else:
                self.blocked = f"Init:{i}/{len(specs)}"
            return


def pod_status(pod: dict[str, Any]) -> tuple[str, int, int, int, float]:
    """(STATUS, ready, total, restarts, last restart time) of a pod."""
    return _pod_status(pod, pod.get("spec") or EMPTY, pod.get("status") or EMPTY)


def _pod_status(
    pod: dict[str, Any],
    spec: dict[str, Any],
    status: dict[str, Any],
) -> tuple[str, int, int, int, float]:
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    conditions = status.get("conditions") or ()
    for c in conditions:
        if c.get("reason") == "SchedulingGated" and c.get("type") == "PodScheduled":
            reason = "SchedulingGated"

    total = len(spec.get("containers") or ())
    ready = restarts = 0
    last_restart = 0.0
    init_specs, init_statuses = spec.get("initContainers"), status.get("initContainerStatuses")
    init = _Init(init_specs or (), init_statuses or ()) if init_specs or init_statuses else None
    if init is not None:
        total += init.sidecars
        ready, restarts, last_restart = init.ready, init.restarts, init.last_restart
        if init.blocked is not None:
            reason = init.blocked

    if init is None or init.blocked is None or _first_condition_true(conditions, "Initialized"):
        if init is not None:
            # Once initialised, only sidecars' restarts still count.
            restarts, last_restart = init.sidecar_restarts, init.sidecar_last_restart
        main = _containers(status.get("containerStatuses") or (), reason)
        reason, ready = main.reason, ready + main.ready
        restarts, last_restart = restarts + main.restarts, max(last_restart, main.last_restart)
        if reason == "Completed" and main.running:
            reason = "Running" if _any_condition_true(conditions, "Ready") else "NotReady"

    if (pod.get("metadata") or EMPTY).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"
    return reason, ready, total, restarts, last_restart


@dataclass(slots=True)
class _Containers:
    reason: str
    ready: int = 0
    restarts: int = 0
    last_restart: float = 0.0
    running: bool = False


def _containers(statuses: Iterable[dict[str, Any]], reason: str) -> _Containers:
    """The app containers' share of the STATUS column: the last container (in reverse order, as
    kubectl walks them) that is waiting or terminated names the reason."""
    out = _Containers(reason)
    for cs in reversed(list(statuses)):
        out.restarts += cs.get("restartCount") or 0
        if "lastState" in cs:
            out.last_restart = max(out.last_restart, _finished_at(cs))
        state = cs.get("state") or EMPTY
        waiting = state.get("waiting")
        if waiting is not None and waiting.get("reason"):
            out.reason = waiting["reason"]
            continue
        terminated = state.get("terminated")
        if terminated is not None:
            out.reason = _exit_reason(terminated, "")
        elif cs.get("ready") and state.get("running") is not None:
            out.running = True
            out.ready += 1
    return out


def _readiness_gates(gates: list[dict[str, Any]], status: dict[str, Any]) -> str:
    by_type: dict[Any, Any] = {}
    for c in status.get("conditions") or ():
        by_type.setdefault(c.get("type"), c.get("status"))
    passed = len([g for g in gates if by_type.get(g.get("conditionType")) == "True"])
    return f"{passed}/{len(gates)}"


def pod_row(pod: dict[str, Any], now: float) -> Cells:
    spec = pod.get("spec") or EMPTY
    status = pod.get("status") or EMPTY
    reason, ready, total, restarts, last_restart = _pod_status(pod, spec, status)
    shown = (
        f"{restarts} ({human_duration(now - last_restart)} ago)"
        if restarts and last_restart
        else str(restarts)
    )
    ips = status.get("podIPs")
    ip = (ips[0].get("ip") if ips else status.get("podIP")) or "<none>"
    gates = spec.get("readinessGates")
    return [
        name_of(pod),
        f"{ready}/{total}",
        reason,
        shown,
        age(pod, now),
        ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        _readiness_gates(gates, status) if gates else "<none>",
    ]


def pod_conditions(pod: dict[str, Any]) -> list[dict[str, str]] | None:
    """A finished pod's row says so, as Kubernetes marks it (`Completed`)."""
    phase = (pod.get("status") or EMPTY).get("phase")
    return _COMPLETED if phase == "Succeeded" else _FAILED if phase == "Failed" else None


def pod_template_row(obj: dict[str, Any], now: float) -> Cells:
    template = obj.get("template") or EMPTY
    names, images = container_cells(template.get("spec"))
    return [name_of(obj), names, images, format_labels((template.get("metadata") or EMPTY).get("labels"))]


_CONTAINERS = Column("Containers", description="Names of each container in the template.")
_IMAGES = Column("Images", description="Images referenced by each container in the template.")

PRINTERS = {
    ("", "pods"): Printer(POD_COLUMNS, pod_row, pod_conditions),
    ("", "podtemplates"): Printer(
        (NAME, _CONTAINERS, _IMAGES, Column("Pod Labels", description="The labels for the pod template.")),
        pod_template_row,
    ),
}
