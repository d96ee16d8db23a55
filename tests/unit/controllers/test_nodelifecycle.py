"""The node lifecycle and taint eviction controllers on a fake cluster in virtual time.

Nodes here are a Node object and a Lease the test renews every 10 s, as a kubelet would;
a node "goes dark" when the test stops renewing its Lease.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kubelite.api.meta import format_micro_wall, format_wall, parse_time
from kubelite.controllers.context import ControllerSettings
from kubelite.controllers.nodelifecycle import NodeLifecycleController
from kubelite.controllers.tainteviction import TaintEvictionController
from kubelite.controllers.testing import ControllerHarness

Obj = dict[str, Any]
UNREACHABLE = "node.kubernetes.io/unreachable"
RENEW_INTERVAL = 10.0


class Cluster:
    def __init__(self, **settings: Any) -> None:
        self.h = ControllerHarness()
        self.h.ctx.settings = ControllerSettings(**settings)
        self.nodes = self.h.client.resource("nodes")
        self.leases = self.h.client.resource("leases", group="coordination.k8s.io")
        self.pods = self.h.client.resource("pods")
        self.alive: set[str] = set()
        self.lifecycle = NodeLifecycleController(self.h.ctx)
        self.eviction = TaintEvictionController(self.h.ctx)

    def running(self):  # type: ignore[no-untyped-def]
        return self.h.running(self.lifecycle, self.eviction)

    def now(self) -> str:
        return format_wall(self.h.clock.wall())

    async def node(self, name: str, zone: str = "") -> None:
        labels = {"kubernetes.io/hostname": name}
        if zone:
            labels |= {"topology.kubernetes.io/region": "r", "topology.kubernetes.io/zone": zone}
        conditions = [
            {"type": t, "status": s, "lastHeartbeatTime": self.now(), "lastTransitionTime": self.now()}
            for t, s in (
                ("Ready", "True"),
                ("MemoryPressure", "False"),
                ("DiskPressure", "False"),
                ("PIDPressure", "False"),
            )
        ]
        await self.nodes.create(
            {"metadata": {"name": name, "labels": labels}, "status": {"conditions": conditions}}
        )
        lease = {"metadata": {"name": name}, "spec": {"holderIdentity": name, "leaseDurationSeconds": 40}}
        await self.leases.create(lease, namespace="kube-node-lease")
        self.alive.add(name)
        await self.renew([name])

    async def renew(self, names: list[str] | None = None) -> None:
        for name in sorted(self.alive) if names is None else names:
            lease = await self.leases.get(name, namespace="kube-node-lease")
            lease["spec"]["renewTime"] = format_micro_wall(self.h.clock.wall())
            await self.leases.update(lease, namespace="kube-node-lease")

    async def run_for(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass, the live nodes renewing their Leases every 10 s."""
        while seconds > 0:
            await self.renew()
            step = min(RENEW_INTERVAL, seconds)
            await self.h.advance(step)
            seconds -= step

    async def pod(self, name: str, node: str, tolerations: list[Obj] | None = None) -> None:
        spec = {
            "nodeName": node,
            "containers": [{"name": "c", "image": "pause"}],
            "tolerations": tolerations or [],
        }
        await self.pods.create({"metadata": {"name": name}, "spec": spec})
        status = {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": self.now()}],
        }
        await self.pods.patch(name, {"status": status}, subresource="status")

    def get_node(self, name: str) -> Obj:
        node = self.h.cluster.get_object("nodes", name)
        assert node is not None
        return node

    def condition(self, name: str, type_: str) -> Obj:
        return next(c for c in self.get_node(name)["status"]["conditions"] if c["type"] == type_)

    def taints(self, name: str) -> set[tuple[str, str]]:
        return {(t["key"], t["effect"]) for t in self.get_node(name).get("spec", {}).get("taints") or []}

    def tainted_at(self, name: str) -> dt.datetime | None:
        for t in self.get_node(name).get("spec", {}).get("taints") or []:
            if (t["key"], t["effect"]) == (UNREACHABLE, "NoExecute"):
                return parse_time(t["timeAdded"])
        return None

    def evicting(self, name: str) -> bool:
        pod = self.h.cluster.get_object("pods", name, "default")
        return pod is None or "deletionTimestamp" in pod["metadata"]


def toleration(seconds: int | None) -> Obj:
    t = {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}
    return t if seconds is None else {**t, "tolerationSeconds": seconds}


async def test_a_node_whose_lease_stops_goes_unknown_after_the_grace_period_and_gets_the_unreachable_taints():
    c = Cluster()
    for name in ("a", "b", "c", "d"):
        await c.node(name)
    async with c.running():
        await c.run_for(20)
        c.alive.discard("a")  # its last renewal was at the start of those 20 s
        await c.run_for(30)  # 40 s after the last renewal: still within the grace period
        assert c.condition("a", "Ready")["status"] == "True"
        await c.run_for(10)
        for type_ in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
            cond = c.condition("a", type_)
            assert (cond["status"], cond["reason"], cond["message"]) == (
                "Unknown",
                "NodeStatusUnknown",
                "Kubelet stopped posting node status.",
            )
        await c.run_for(10)
        assert c.taints("a") == {(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")}
        assert all(c.taints(n) == set() for n in ("b", "c", "d"))
        assert [e["involvedObject"]["name"] for e in c.h.events("NodeNotReady")] == ["a"]


async def test_the_pods_of_a_node_gone_dark_are_marked_not_ready():
    c = Cluster()
    for name in ("a", "b", "c"):
        await c.node(name)
    await c.pod("web", "a", [toleration(None)])
    await c.pod("other", "b")
    async with c.running():
        c.alive.discard("a")
        await c.run_for(60)
        web = c.h.cluster.get_object("pods", "web", "default")
        other = c.h.cluster.get_object("pods", "other", "default")
        assert web is not None and other is not None
        assert web["status"]["conditions"][0]["status"] == "False"
        assert other["status"]["conditions"][0]["status"] == "True"
        assert any(e["involvedObject"].get("name") == "web" for e in c.h.events("NodeNotReady", "default"))


async def test_pods_are_evicted_after_their_toleration_seconds_and_tolerating_for_ever_keeps_them():
    c = Cluster()
    for name in ("a", "b", "c"):
        await c.node(name)
    await c.pod("none", "a")
    await c.pod("five", "a", [toleration(5)])
    await c.pod("default", "a", [toleration(300)])
    await c.pod("ever", "a", [toleration(None)])
    async with c.running():
        c.alive.discard("a")
        while c.tainted_at("a") is None:
            await c.run_for(1)
        assert c.evicting("none") and not c.evicting("five")
        await c.run_for(6)
        assert c.evicting("five") and not c.evicting("default")
        await c.run_for(280)
        assert not c.evicting("default")
        await c.run_for(20)
        assert c.evicting("default") and not c.evicting("ever")
        five = c.h.cluster.get_object("pods", "five", "default")
        assert five is not None
        target = next(x for x in five["status"]["conditions"] if x["type"] == "DisruptionTarget")
        assert (target["reason"], target["message"]) == (
            "DeletionByTaintManager",
            "Taint manager: deleting due to NoExecute taint",
        )
        messages = {e["message"] for e in c.h.events("TaintManagerEviction", "default")}
        assert messages == {f"Marking for deletion Pod default/{p}" for p in ("none", "five", "default")}


async def test_a_node_that_is_ready_again_loses_its_taints_and_pending_evictions_are_cancelled():
    c = Cluster()
    for name in ("a", "b", "c"):
        await c.node(name)
    await c.pod("default", "a", [toleration(300)])
    async with c.running():
        c.alive.discard("a")
        while c.tainted_at("a") is None:
            await c.run_for(1)
        c.alive.add("a")
        status = {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "lastHeartbeatTime": c.now(),
                    "lastTransitionTime": c.now(),
                }
            ]
        }
        await c.nodes.patch("a", {"status": status}, subresource="status")
        await c.run_for(10)
        assert c.taints("a") == set()
        await c.run_for(300)
        assert not c.evicting("default")
        assert {e["message"] for e in c.h.events("TaintManagerEviction", "default")} == {
            "Cancelling deletion of Pod default/default"
        }


async def test_conditions_and_unschedulable_become_no_schedule_taints_and_go_with_them():
    c = Cluster()
    await c.node("a")
    async with c.running():
        pressure = {"type": "MemoryPressure", "status": "True", "lastHeartbeatTime": c.now()}
        await c.nodes.patch(
            "a",
            {"status": {"conditions": [pressure]}},
            subresource="status",
            patch_type="application/strategic-merge-patch+json",
        )
        await c.nodes.patch("a", {"spec": {"unschedulable": True}})
        await c.h.settle()
        assert c.taints("a") == {
            ("node.kubernetes.io/memory-pressure", "NoSchedule"),
            ("node.kubernetes.io/unschedulable", "NoSchedule"),
        }
        await c.nodes.patch("a", {"spec": {"unschedulable": False}})
        await c.h.settle()
        assert c.taints("a") == {("node.kubernetes.io/memory-pressure", "NoSchedule")}


# ---- 100 nodes in 3 zones: how fast each zone's dark nodes are tainted NoExecute ----

ZONES = {"big": 60, "mid": 20, "small": 20}


async def hundred_nodes() -> Cluster:
    c = Cluster()
    for zone, size in ZONES.items():
        for i in range(size):
            await c.node(f"{zone}-{i:02}", zone)
    return c


def taint_times(c: Cluster, zone: str) -> list[float]:
    times = [c.tainted_at(f"{zone}-{i:02}") for i in range(ZONES[zone])]
    return sorted(t.timestamp() for t in times if t is not None)


def intervals(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


async def test_a_healthy_zone_has_its_dark_nodes_tainted_at_the_primary_rate():
    c = await hundred_nodes()
    async with c.running():
        dark = [f"big-{i:02}" for i in range(10)]  # 10 of 60: the zone stays Normal
        c.alive -= set(dark)
        await c.run_for(160)
        times = taint_times(c, "big")
        assert len(times) == 10
        assert all(9 <= gap <= 11 for gap in intervals(times)), intervals(times)  # 0.1 nodes a second
        assert taint_times(c, "mid") == taint_times(c, "small") == []
        assert c.lifecycle.zone_states["r:\x00:big"] == "Normal"
        assert (
            c.lifecycle.metrics.registry.get_sample_value(
                "node_collector_evictions_total", {"zone": "r:\x00:big"}
            )
            == 10
        )


async def test_an_unhealthy_zone_is_slowed_to_the_secondary_rate_and_a_small_one_stops():
    c = await hundred_nodes()
    async with c.running():
        c.alive -= {f"big-{i:02}" for i in range(40)}  # 40 of 60 >= 55 %, and 60 > 50 nodes
        c.alive -= {f"mid-{i:02}" for i in range(12)}  # 12 of 20 >= 55 %, but only 20 nodes
        await c.run_for(400)
        big = taint_times(c, "big")
        assert 3 <= len(big) <= 4 and all(99 <= gap <= 101 for gap in intervals(big)), big  # 0.01/s
        assert taint_times(c, "mid") == []
        states = {zone: c.lifecycle.zone_states[f"r:\x00:{zone}"] for zone in ZONES}
        assert states == {"big": "PartialDisruption", "mid": "PartialDisruption", "small": "Normal"}
        registry = c.lifecycle.metrics.registry
        assert (
            registry.get_sample_value("node_collector_unhealthy_nodes_in_zone", {"zone": "r:\x00:mid"}) == 12
        )
        assert registry.get_sample_value("node_collector_zone_health", {"zone": "r:\x00:small"}) == 100


async def test_no_node_is_tainted_when_every_zone_goes_dark_at_once():
    c = await hundred_nodes()
    async with c.running():
        c.alive.clear()
        await c.run_for(300)
        assert all(taint_times(c, zone) == [] for zone in ZONES)
        assert set(c.lifecycle.zone_states.values()) == {"FullDisruption"}
        assert all(c.condition(f"{z}-00", "Ready")["status"] == "Unknown" for z in ZONES)


async def test_a_node_reporting_not_ready_is_tainted_not_ready_and_swapped_to_unreachable_when_it_goes_dark():
    c = Cluster()
    for name in ("a", "b", "c"):
        await c.node(name)
    async with c.running():
        status = {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "lastHeartbeatTime": c.now(),
                    "lastTransitionTime": c.now(),
                }
            ]
        }
        await c.nodes.patch(
            "a", {"status": status}, subresource="status", patch_type="application/strategic-merge-patch+json"
        )
        await c.run_for(10)
        assert c.taints("a") == {
            ("node.kubernetes.io/not-ready", "NoSchedule"),
            ("node.kubernetes.io/not-ready", "NoExecute"),
        }
        c.alive.discard("a")
        await c.run_for(60)
        assert c.taints("a") == {(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")}


async def test_a_node_that_never_posted_status_goes_unknown_after_the_startup_grace_period():
    c = Cluster()
    for name in ("b", "c"):
        await c.node(name)
    await c.nodes.create({"metadata": {"name": "silent"}})
    async with c.running():
        await c.run_for(50)
        assert "conditions" not in c.get_node("silent").get("status", {})
        await c.run_for(20)
        ready = c.condition("silent", "Ready")
        assert (ready["status"], ready["reason"], ready["message"]) == (
            "Unknown",
            "NodeStatusNeverUpdated",
            "Kubelet never posted node status.",
        )
