"""Pod lifecycles of simulated nodes, as data run by one generic engine.

A stage is a dict (so stages can be loaded from a YAML file with `--simulated-stages`):

    name:   a name for logs
    match:  phases: [Pending, Running]     the pod's status.phase ("" counts as Pending)
            deleting: true|false            has a deletionTimestamp
            ownerKinds: [Job]               an ownerReference of one of these kinds
    delay:  seconds after the stage started matching the pod; the string "startLatency"
            means the simulated kubelet's configured start latency
    next:   phase: Running|Succeeded|Failed  the status to report (see `status_for`)
            delete: true                     delete the pod from the API (grace 0)

The first stage whose `match` holds is the pod's current stage; a pod no stage matches is
left alone. The defaults (`DEFAULT_STAGES`) are kwok's: pods start, Job pods complete,
deleted pods go away.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from kubelite.api.meta import format_wall
from kubelite.api.pods import qos_class
from kubelite.api.types import Object

DEFAULT_STAGES: list[Object] = [
    {"name": "pod-delete", "match": {"deleting": True}, "delay": 0, "next": {"delete": True}},
    {
        "name": "pod-ready",
        "match": {"phases": ["Pending"], "deleting": False},
        "delay": "startLatency",
        "next": {"phase": "Running"},
    },
    {
        "name": "pod-complete",
        "match": {"phases": ["Running"], "deleting": False, "ownerKinds": ["Job"]},
        "delay": "startLatency",
        "next": {"phase": "Succeeded"},
    },
]


@dataclass(slots=True, frozen=True)
class Stage:
    name: str
    phases: tuple[str, ...] | None
    deleting: bool | None
    owner_kinds: tuple[str, ...] | None
    delay: float
    next_phase: str | None
    delete: bool

    def matches(self, pod: Object) -> bool:
        phase = (pod.get("status") or {}).get("phase") or "Pending"
        if self.phases is not None and phase not in self.phases:
            return False
        if self.deleting is not None and bool(pod["metadata"].get("deletionTimestamp")) != self.deleting:
            return False
        if self.owner_kinds is not None:
            kinds = {r.get("kind") for r in pod["metadata"].get("ownerReferences") or []}
            if not kinds & set(self.owner_kinds):
                return False
        if self.next_phase and phase == self.next_phase:
            return False  # already there
        return True


def parse_stages(raw: list[Object], start_latency: float = 0.0) -> list[Stage]:
    out = []
    for s in raw:
        m = s.get("match") or {}
        nxt = s.get("next") or {}
        delay = s.get("delay", 0)
        out.append(
            Stage(
                name=str(s["name"]),
                phases=tuple(m["phases"]) if "phases" in m else None,
                deleting=m.get("deleting"),
                owner_kinds=tuple(m["ownerKinds"]) if "ownerKinds" in m else None,
                delay=start_latency if delay == "startLatency" else float(delay),
                next_phase=nxt.get("phase"),
                delete=bool(nxt.get("delete")),
            )
        )
    return out


def load_stages(path: Path | None, start_latency: float = 0.0) -> list[Stage]:
    raw = yaml.safe_load(path.read_text()) if path else DEFAULT_STAGES
    return parse_stages(raw, start_latency)


def current_stage(stages: list[Stage], pod: Object) -> Stage | None:
    return next((s for s in stages if s.matches(pod)), None)


def status_for(pod: Object, phase: str, *, host_ip: str, pod_ip: str, wall: float) -> Object:
    """The status a real kubelet would report for `pod` in `phase`, without containers."""
    now = format_wall(wall)
    old = pod.get("status") or {}
    started = old.get("startTime") or now
    running = phase == "Running"
    spec = pod.get("spec") or {}

    def container_status(c: Object, init: bool) -> Object:
        if running and not init:
            state: Object = {"running": {"startedAt": started}}
        else:
            state = {
                "terminated": {
                    "exitCode": 0 if phase != "Failed" else 1,
                    "reason": "Completed" if phase != "Failed" else "Error",
                    "startedAt": started,
                    "finishedAt": now,
                }
            }
        return {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": "",
            "containerID": f"simulated://{pod['metadata'].get('uid', '')[:8]}-{c['name']}",
            "ready": running and not init,
            "started": running and not init,
            "restartCount": 0,
            "state": state,
        }

    def cond(ctype: str, ok: bool) -> Object:
        return {
            "type": ctype,
            "status": "True" if ok else "False",
            "lastProbeTime": None,
            "lastTransitionTime": now,
        }

    status: Object = {
        "phase": phase,
        "conditions": [
            cond("PodReadyToStartContainers", running),
            cond("Initialized", True),
            cond("Ready", running),
            cond("ContainersReady", running),
            cond("PodScheduled", True),
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}] if pod_ip else [],
        "startTime": started,
        "containerStatuses": [container_status(c, False) for c in spec.get("containers") or []],
        "qosClass": old.get("qosClass") or qos_class(pod),
    }
    if spec.get("initContainers"):
        status["initContainerStatuses"] = [container_status(c, True) for c in spec["initContainers"]]
    return status
