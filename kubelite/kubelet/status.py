"""The pod status the kubelet reports, computed from the runtime's state, as Kubernetes does.

    phase       Pending   an init container has not succeeded, or a container has never run
                Running   a container runs, or one exited and will be restarted
                Succeeded every container exited 0 and none will be restarted
                Failed    every container exited, one failed, and none will be restarted
                Failed    also: rejected by the kubelet or past activeDeadlineSeconds
                          (status.reason and message say which)
    conditions  PodReadyToStartContainers (sandbox with network), Initialized (init
                containers done), ContainersReady (every container ready), Ready (the
                same; readiness gates come later), PodScheduled (always True here)
    containerStatuses / initContainerStatuses
                state (waiting with a reason / running / terminated), lastState (the
                previous instance's termination), restartCount (the instance's attempt),
                ready (running and readiness passed), started (startup probe passed),
                image, imageID, containerID (`<runtime>://<id>`)

Condition transition times are kept from the previous status while a condition keeps its
status.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from kubelite.api.meta import format_wall
from kubelite.api.pods import qos_class, restart_policy
from kubelite.api.types import Object, PodCondition
from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.runtime_state import PodRuntimeState


def _ts(ns: int) -> str:
    return format_wall(ns / 1e9) if ns else ""


@dataclass(slots=True)
class StatusInputs:
    runtime_name: str
    host_ip: str
    start_time: str
    now: str
    waiting: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (reason, message)
    ready: Callable[[str, Object], bool] = lambda cid, c: True
    started: Callable[[str, Object], bool] = lambda cid, c: True
    terminating: bool = False
    # (reason, message) of a pod the kubelet failed itself: rejected at admission
    # (SysctlForbidden) or past its activeDeadlineSeconds (DeadlineExceeded)
    failure: tuple[str, str] | None = None


def _terminated(c: pb.ContainerStatus, runtime: str) -> Object:
    t: Object = {
        "exitCode": c.exit_code,
        "reason": c.reason or ("Completed" if c.exit_code == 0 else "Error"),
        "startedAt": _ts(c.started_at) or None,
        "finishedAt": _ts(c.finished_at) or None,
        "containerID": f"{runtime}://{c.id}",
    }
    if c.message:
        t["message"] = c.message
    return t


def will_restart(pod: Object, c: pb.ContainerStatus | None, init: bool = False) -> bool:
    """Whether an exited container instance is to be started again."""
    if c is None or c.state != pb.CONTAINER_EXITED:
        return False
    policy = restart_policy(pod)
    if init:
        return c.exit_code != 0 and policy != "Never"
    return policy == "Always" or (policy == "OnFailure" and c.exit_code != 0)


def container_status(
    pod: Object, spec: Object, state: PodRuntimeState, inp: StatusInputs, init: bool
) -> Object:
    name = spec["name"]
    latest, prev = state.latest(name), state.previous(name)
    st: Object = {
        "name": name,
        "image": spec.get("image", ""),
        "imageID": "",
        "ready": False,
        "restartCount": 0,
        "started": False,
        "state": {},
        "lastState": {},
    }
    waiting = inp.waiting.get(name)
    if latest is None:
        reason, message = waiting or (
            "PodInitializing" if init or not state.ready_sandbox else "ContainerCreating",
            "",
        )
        st["state"] = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
        return st
    st["restartCount"] = latest.metadata.attempt
    st["imageID"] = latest.image_ref
    st["containerID"] = f"{inp.runtime_name}://{latest.id}"
    if latest.state == pb.CONTAINER_RUNNING:
        st["state"] = {"running": {"startedAt": _ts(latest.started_at)}}
        st["started"] = inp.started(latest.id, spec)
        st["ready"] = st["started"] and inp.ready(latest.id, spec) and not inp.terminating
        if prev is not None and prev.state == pb.CONTAINER_EXITED:
            st["lastState"] = {"terminated": _terminated(prev, inp.runtime_name)}
    elif latest.state == pb.CONTAINER_EXITED:
        # Waiting to restart once the sync has said why (CrashLoopBackOff and its back-off);
        # until then the exited container is shown as it is, as Kubernetes' kubelet does.
        if waiting is not None and will_restart(pod, latest, init) and not inp.terminating:
            reason, message = waiting
            st["state"] = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
            st["lastState"] = {"terminated": _terminated(latest, inp.runtime_name)}
        else:
            st["state"] = {"terminated": _terminated(latest, inp.runtime_name)}
            if prev is not None and prev.state == pb.CONTAINER_EXITED:
                st["lastState"] = {"terminated": _terminated(prev, inp.runtime_name)}
    else:  # created, not yet running
        reason, message = waiting or ("ContainerCreating", "")
        st["state"] = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
    return st


def _phase(pod: Object, init_statuses: list[Object], statuses: list[Object], terminating: bool) -> str:
    policy = "Never" if terminating else restart_policy(pod)  # a stopped pod restarts nothing
    for s in init_statuses:
        t = s["state"].get("terminated")
        if t and t["exitCode"] != 0 and policy == "Never":
            return "Failed"
        if not (t and t["exitCode"] == 0):
            return "Pending"
    counts = Counter(_container_outcome(s) for s in statuses)
    if counts["waiting"]:
        return "Pending"
    if counts["running"]:
        return "Running"
    if counts["failed"]:
        return "Failed" if policy == "Never" else "Running"
    if counts["succeeded"]:
        return "Running" if policy == "Always" else "Succeeded"
    return "Pending"


def _container_outcome(s: Object) -> str:
    """running, succeeded, failed or waiting: what one app container adds to the pod's phase."""
    state = s["state"]
    if "running" in state:
        return "running"
    if "terminated" in state:
        return "succeeded" if state["terminated"]["exitCode"] == 0 else "failed"
    if s["lastState"].get("terminated"):
        return "running"  # exited and waiting to restart: the pod is still Running
    return "waiting"


def _condition(
    old: Object, ctype: str, ok: bool, now: str, reason: str = "", message: str = ""
) -> PodCondition:
    status = "True" if ok else "False"
    prev = next((c for c in old.get("conditions") or [] if c.get("type") == ctype), None)
    since = (
        prev["lastTransitionTime"]
        if prev and prev.get("status") == status and prev.get("lastTransitionTime")
        else now
    )
    c: PodCondition = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": since}
    if not ok and reason:
        c["reason"] = reason
        if message:
            c["message"] = message
    return c


def pod_status(pod: Object, state: PodRuntimeState, inp: StatusInputs) -> Object:
    spec = pod.get("spec") or {}
    old = pod.get("status") or {}
    inits = [container_status(pod, c, state, inp, True) for c in spec.get("initContainers") or []]
    mains = [container_status(pod, c, state, inp, False) for c in spec.get("containers") or []]
    phase = _phase(pod, inits, mains, inp.terminating)
    if inp.failure is not None:
        phase = "Failed"
    if old.get("phase") in ("Succeeded", "Failed"):
        phase = old["phase"]  # terminal phases never change
    not_init = [s["name"] for s in inits if (s["state"].get("terminated") or {}).get("exitCode") != 0]
    unready = [s["name"] for s in mains if not s["ready"]]
    done = phase in ("Succeeded", "Failed")
    now = inp.now
    ready_reason = "PodCompleted" if done else "ContainersNotReady"
    ready_msg = "" if done else f"containers with unready status: [{' '.join(unready)}]"
    conditions = [
        _condition(old, "PodReadyToStartContainers", state.ready_sandbox is not None, now),
        _condition(
            old,
            "Initialized",
            not not_init,
            now,
            "ContainersNotInitialized",
            f"containers with incomplete status: [{' '.join(not_init)}]",
        ),
        _condition(old, "Ready", not unready and not done, now, ready_reason, ready_msg),
        _condition(old, "ContainersReady", not unready and not done, now, ready_reason, ready_msg),
        _condition(old, "PodScheduled", True, now),
    ]
    pod_ip = state.pod_ip or (inp.host_ip if spec.get("hostNetwork") and state.ready_sandbox else "")
    if not pod_ip and old.get("podIP") and done:
        pod_ip = old["podIP"]
    status: Object = {
        "phase": phase,
        "conditions": conditions,
        "hostIP": inp.host_ip,
        "hostIPs": [{"ip": inp.host_ip}] if inp.host_ip else [],
        "podIP": pod_ip or None,
        "podIPs": [{"ip": pod_ip}] if pod_ip else None,
        "startTime": inp.start_time,
        "containerStatuses": mains,
        "qosClass": qos_class(pod),
    }
    if inits:
        status["initContainerStatuses"] = inits
    if inp.failure is not None:
        status["reason"], status["message"] = inp.failure
    elif old.get("reason") and phase == "Failed":
        status["reason"], status["message"] = old["reason"], old.get("message", "")
    ephemeral = [container_status(pod, c, state, inp, False) for c in spec.get("ephemeralContainers") or []]
    if ephemeral:
        # Never probed nor counted for readiness; their state is what the runtime says.
        status["ephemeralContainerStatuses"] = [{**s, "ready": False, "started": False} for s in ephemeral]
    return status
