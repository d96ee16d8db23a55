"""Node registration, status reports and the Lease heartbeat, in virtual time."""

from __future__ import annotations

from kubelite.kubelet.backoff import Backoff
from kubelite.kubelet.hostinfo import HostInfo, allocatable, capacity
from kubelite.kubelet.lease import NodeLease
from kubelite.kubelet.node import node_facts
from kubelite.kubelet.nodestatus import NodeAgent, healthy_conditions
from kubelite.kubelet.options import KubeletOptions
from kubelite.kubelet.testing import FakeAPI
from kubelite.util.clock import FakeClock

HOST = HostInfo(
    hostname="box",
    cpus=4,
    memory_bytes=8 * 1024**3,
    ephemeral_storage_bytes=100 * 1024**3,
    addresses=[{"type": "InternalIP", "address": "10.0.0.5"}, {"type": "Hostname", "address": "box"}],
    kernel_version="6.1",
    os_image="Debian",
    architecture="amd64",
)


def test_allocatable_is_capacity_minus_reservations_and_the_eviction_threshold():
    cap = capacity(HOST, 110)
    alloc = allocatable(cap, [{"cpu": "100m", "memory": "100Mi"}, {"cpu": "200m"}], "100Mi")
    assert cap["cpu"] == "4" and alloc["cpu"] == "3700m"
    assert alloc["memory"] == f"{(8 * 1024**3 - 200 * 1024**2) // 1024}Ki"
    assert alloc["pods"] == "110"


def test_node_facts_carry_hostname_label_and_node_info():
    facts = node_facts(KubeletOptions(node_labels={"zone": "a"}), HOST, "kubelite://0.1.0")
    assert facts.name == "box"
    assert facts.labels["kubernetes.io/hostname"] == "box" and facts.labels["zone"] == "a"
    assert facts.node_info["containerRuntimeVersion"] == "kubelite://0.1.0"
    assert facts.node_info["kernelVersion"] == "6.1" and facts.node_info["kubeletVersion"].startswith("v1.")


async def test_status_is_posted_on_change_or_when_the_report_interval_passes():
    api, clock = FakeAPI(), FakeClock()
    conds = healthy_conditions()
    agent = NodeAgent(
        api,
        node_facts(KubeletOptions(), HOST, "x://1"),
        clock=clock,
        conditions=lambda: conds,
        report_frequency=300,
    )
    await agent.register()
    node = api.objects[("nodes", "", "box")]
    assert {c["type"] for c in node["status"]["conditions"]} == {
        "Ready",
        "MemoryPressure",
        "DiskPressure",
        "PIDPressure",
    }
    await clock.advance(10)
    assert await agent.post_status() is False  # nothing changed
    conds["Ready"] = ("False", "KubeletNotReady", "runtime down")
    await clock.advance(10)
    assert await agent.post_status() is True
    ready = next(c for c in api.objects[("nodes", "", "box")]["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["lastTransitionTime"] == ready["lastHeartbeatTime"]
    await clock.advance(100)
    assert await agent.post_status() is False
    await clock.advance(300)
    assert await agent.post_status() is True  # 5 minutes: report anyway


async def test_registration_adopts_an_existing_node():
    api, clock = FakeAPI(), FakeClock()
    await api.resource("nodes").create({"metadata": {"name": "box"}, "spec": {"podCIDR": "10.1.0.0/24"}})
    agent = NodeAgent(api, node_facts(KubeletOptions(), HOST, "x://1"), clock=clock)
    await agent.register()
    assert agent.pod_cidr == "10.1.0.0/24"
    assert api.objects[("nodes", "", "box")]["metadata"]["labels"]["kubernetes.io/hostname"] == "box"


async def test_lease_renews_every_interval_and_backs_off_from_200ms_to_7s_on_failure():
    import asyncio

    api, clock = FakeAPI(), FakeClock()
    lease = NodeLease(api, "box", clock=clock, node_uid=lambda: "node-uid")
    task = asyncio.create_task(lease.run())
    await clock.advance(0)
    assert lease.renewals == 1
    stored = api.objects[("leases", "kube-node-lease", "box")]
    assert stored["spec"]["leaseDurationSeconds"] == 40
    assert stored["metadata"]["ownerReferences"][0]["uid"] == "node-uid"
    await clock.advance(10)
    assert lease.renewals == 2
    api.unreachable = True
    api.calls.clear()
    await clock.advance(10 + 0.2 + 0.4 + 0.8 + 1.6 + 3.2 + 6.4 + 7 + 7 + 0.05)
    attempts = [c for c in api.calls if c[1] == "leases"]
    assert len(attempts) == 9  # 10 s, then 0.2 … 6.4, 7, 7
    api.unreachable = False
    await clock.advance(7)
    assert lease.renewals == 3
    task.cancel()


def test_backoff_doubles_to_the_maximum_and_resets_after_quiet():
    clock = FakeClock()
    b = Backoff(clock, initial=10, maximum=300)
    delays = [b.next("c") for _ in range(7)]
    assert delays == [10, 20, 40, 80, 160, 300, 300]
    assert b.in_backoff("c")
    clock._now += 601
    assert not b.in_backoff("c") and b.next("c") == 10
