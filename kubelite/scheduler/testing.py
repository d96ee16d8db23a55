"""Builders for tests of the scheduler: pods, nodes, snapshots and frameworks without a server.

    p = make_pod("web", cpu="500m", labels={"app": "web"}, tolerations=[...])
    n = make_node("n1", cpu="4", labels={"zone": "a"}, taints=[taint("gpu", "true")])
    snap = snapshot_of([node_info(n, PodInfo(other))])
    fw = make_framework(snap)                 # the default profile's plugins
    status = run_filters(fw, PodInfo(p), snap.get("n1"))

Everything runs on the event loop without I/O; plugins that need listers get them from
`FakeLister`s passed to `make_framework`.
"""

from __future__ import annotations

import itertools
from typing import Any

from kubelite.api.types import Object
from kubelite.scheduler.cache.snapshot import Snapshot
from kubelite.scheduler.config.load import default_configuration
from kubelite.scheduler.config.types import Profile
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.handle import Handle, Listers
from kubelite.scheduler.framework.runtime import Framework
from kubelite.scheduler.framework.status import Status, is_skip
from kubelite.scheduler.framework.types import NodeInfo, PodInfo
from kubelite.scheduler.plugins.registry import Registry, in_tree_registry
from kubelite.scheduler.queue.nominator import Nominator
from kubelite.util.clock import Clock

_uids = itertools.count(1)


def taint(key: str, value: str = "", effect: str = "NoSchedule") -> Object:
    return {"key": key, "value": value, "effect": effect}


def toleration(key: str = "", value: str = "", effect: str = "", operator: str = "Equal") -> Object:
    t: Object = {"operator": operator}
    if key:
        t["key"] = key
    if value:
        t["value"] = value
    if effect:
        t["effect"] = effect
    return t


def make_pod(
    name: str = "p",
    namespace: str = "default",
    *,
    cpu: str | None = None,
    memory: str | None = None,
    requests: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    node_name: str = "",
    node_selector: dict[str, str] | None = None,
    tolerations: list[Object] | None = None,
    affinity: Object | None = None,
    host_ports: list[int] | None = None,
    priority: int | None = None,
    preemption_policy: str | None = None,
    scheduler_name: str | None = None,
    spread: list[Object] | None = None,
    images: list[str] | None = None,
    volumes: list[Object] | None = None,
    start_time: str | None = None,
    uid: str | None = None,
    **spec_extra: Any,
) -> Object:
    reqs = dict(requests or {})
    if cpu:
        reqs["cpu"] = cpu
    if memory:
        reqs["memory"] = memory
    containers = []
    for i, image in enumerate(images or ["busybox"]):
        c: Object = {"name": f"c{i}", "image": image}
        if reqs and i == 0:
            c["resources"] = {"requests": reqs}
        if host_ports and i == 0:
            c["ports"] = [{"containerPort": p, "hostPort": p, "protocol": "TCP"} for p in host_ports]
        containers.append(c)
    spec: Object = {"containers": containers, **spec_extra}
    for key, value in (
        ("nodeName", node_name),
        ("nodeSelector", node_selector),
        ("tolerations", tolerations),
        ("affinity", affinity),
        ("priority", priority),
        ("preemptionPolicy", preemption_policy),
        ("schedulerName", scheduler_name),
        ("topologySpreadConstraints", spread),
        ("volumes", volumes),
    ):
        if value:
            spec[key] = value
    md: Object = {"name": name, "namespace": namespace, "uid": uid or f"uid-{next(_uids)}"}
    if labels:
        md["labels"] = labels
    pod: Object = {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec, "status": {}}
    if start_time:
        pod["status"]["startTime"] = start_time
    return pod


def make_node(
    name: str,
    *,
    cpu: str = "4",
    memory: str = "32Gi",
    pods: int = 110,
    labels: dict[str, str] | None = None,
    taints: list[Object] | None = None,
    unschedulable: bool = False,
    extended: dict[str, str] | None = None,
    images: dict[str, int] | None = None,
) -> Object:
    allocatable = {
        "cpu": cpu,
        "memory": memory,
        "pods": str(pods),
        "ephemeral-storage": "100Gi",
        **(extended or {}),
    }
    spec: Object = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": spec,
        "status": {
            "allocatable": allocatable,
            "capacity": dict(allocatable),
            "images": [{"names": [n], "sizeBytes": size} for n, size in (images or {}).items()],
        },
    }


def node_info(node: Object, *pods: Object | PodInfo) -> NodeInfo:
    ni = NodeInfo(node)
    for p in pods:
        info = p if isinstance(p, PodInfo) else PodInfo(p)
        if not info.node_name:
            info = PodInfo({**info.pod, "spec": {**info.spec, "nodeName": node["metadata"]["name"]}})
        ni.add_pod(info)
    return ni


def snapshot_of(nodes: list[NodeInfo]) -> Snapshot:
    return Snapshot.of(nodes)


class FakeLister:
    """A lister over a fixed list of objects."""

    def __init__(self, objs: list[Object] | None = None) -> None:
        self.objs = list(objs or [])

    def get(self, name: str, namespace: str | None = None) -> Object | None:
        for o in self.objs:
            md = o["metadata"]
            if md["name"] == name and (namespace is None or md.get("namespace", "") in (namespace, "")):
                return o
        return None

    def list(self, namespace: str | None = None, selector: Any = None) -> list[Object]:
        return [o for o in self.objs if namespace is None or o["metadata"].get("namespace") == namespace]


def make_handle(
    snapshot: Snapshot | None = None,
    *,
    listers: Listers | None = None,
    nominator: Nominator | None = None,
    clock: Clock | None = None,
    client: Any = None,
) -> Handle:
    return Handle(client=client, listers=listers, snapshot=snapshot, nominator=nominator, clock=clock)


def make_framework(
    snapshot: Snapshot | None = None,
    *,
    profile: Profile | None = None,
    registry: Registry | None = None,
    handle: Handle | None = None,
    **handle_kwargs: Any,
) -> Framework:
    """A Framework of `profile` (default: the default profile) on `snapshot`."""
    profile = profile or default_configuration().profiles[0]
    handle = handle or make_handle(snapshot, **handle_kwargs)
    return Framework(profile, registry or in_tree_registry(), handle)


def run_filters(
    fw: Framework, pod: PodInfo, node: NodeInfo, state: CycleState | None = None
) -> Status | None:
    """PreFilter then Filter of every plugin, on one node (the PreFilter's rejection if any)."""
    state = state or CycleState()
    nodes = fw.handle.snapshot().node_info_list or [node]
    _, status, _ = fw.run_pre_filter_plugins(state, pod, nodes)
    if status is not None:
        return status
    return fw.run_filter_plugins(state, pod, node)


def filter_with(
    plugin: Any, pod: PodInfo, node: NodeInfo, nodes: list[NodeInfo] | None = None
) -> Status | None:
    """One plugin's PreFilter (if it has one) and Filter; a PreFilter Skip means it passes."""
    state = CycleState()
    if hasattr(plugin, "pre_filter"):
        pre: tuple[Any, Status | None] = plugin.pre_filter(state, pod, nodes or [node])
        if is_skip(pre[1]):
            return None
        if pre[1] is not None:
            return pre[1]
    result: Status | None = plugin.filter(state, pod, node)
    return result


def scores_with(plugin: Any, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
    """One plugin's PreScore, Score and NormalizeScore over `nodes` (Skip: all zeros)."""
    state = CycleState()
    if hasattr(plugin, "pre_score"):
        status = plugin.pre_score(state, pod, nodes)
        if is_skip(status):
            return [0] * len(nodes)
    scores = [plugin.score(state, pod, n) for n in nodes]
    if hasattr(plugin, "normalize_score"):
        plugin.normalize_score(state, pod, scores)
    return scores


class FakeResource:
    """Records the writes a plugin makes (binding, status patches, deletions)."""

    def __init__(self, calls: list[tuple[str, str, Any]]) -> None:
        self.calls = calls

    async def create(self, obj: Object, **kw: Any) -> Object:
        self.calls.append(("create", kw.get("name") or obj["metadata"]["name"], obj))
        return obj

    async def patch(self, name: str, patch: Any, **kw: Any) -> Object:
        self.calls.append(("patch", name, patch))
        return {}

    async def delete(self, name: str, **kw: Any) -> Object:
        self.calls.append(("delete", name, kw))
        return {}


class FakeClient:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def resource(self, plural: str, *, group: str = "", version: str | None = None) -> FakeResource:
        return FakeResource(self.calls)
