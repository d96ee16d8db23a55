"""DefaultPreemption: who is evicted, on which node, and what the preemptor is told."""

from __future__ import annotations

from kubelite.scheduler.algorithm import Algorithm
from kubelite.scheduler.cache import Cache, Snapshot
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.diagnosis import FitError
from kubelite.scheduler.framework.handle import Listers
from kubelite.scheduler.framework.types import PodInfo
from kubelite.scheduler.testing import FakeClient, FakeLister, make_framework, make_node, make_pod, taint


async def preempt(nodes: list[dict], pods: list[dict], preemptor: dict, pdbs: list[dict] | None = None):
    cache, snap = Cache(), Snapshot()
    for n in nodes:
        cache.add_node(n)
    for p in pods:
        cache.add_pod(p)
    cache.update_snapshot(snap)
    client = FakeClient()
    listers = Listers(pdbs=FakeLister(pdbs or []), pods=FakeLister([preemptor]))
    fw = make_framework(snap, client=client, listers=listers)
    state, info = CycleState(), PodInfo(preemptor)
    try:
        Algorithm(snap).schedule_pod(fw, state, info)
    except FitError as err:
        result, status = await fw.run_post_filter_plugins(state, info, err.diagnosis.node_to_status)
        return result, status, client.calls, err
    raise AssertionError("the preemptor fit without preemption")


def on(node: str, name: str, cpu: str, priority: int = 0, **kw: object) -> dict:
    p = make_pod(name, cpu=cpu, priority=priority, **kw)  # type: ignore[arg-type]
    p["spec"]["nodeName"] = node
    return p


async def test_the_lowest_priority_pods_are_evicted_and_the_preemptor_nominated():
    nodes = [make_node("n1", cpu="2"), make_node("n2", cpu="2")]
    pods = [on("n1", "mid", "2", priority=50), on("n2", "low", "2", priority=10)]
    result, status, calls, _ = await preempt(nodes, pods, make_pod("vip", cpu="1", priority=100))
    assert status is None and result.nominated_node_name == "n2"
    assert [(c[0], c[1]) for c in calls] == [("patch", "low"), ("delete", "low")]
    condition = calls[0][2]["status"]["conditions"][0]
    assert (condition["type"], condition["reason"]) == ("DisruptionTarget", "PreemptionByScheduler")
    assert condition["message"] == "default-scheduler: preempting to accommodate a higher priority pod"


async def test_only_as_many_victims_as_needed_are_chosen():
    nodes = [make_node("n1", cpu="3")]
    pods = [on("n1", "a", "1", priority=1), on("n1", "b", "1", priority=2), on("n1", "c", "1", priority=3)]
    result, status, calls, _ = await preempt(nodes, pods, make_pod("vip", cpu="1500m", priority=100))
    assert result.nominated_node_name == "n1"
    assert sorted(c[1] for c in calls if c[0] == "delete") == ["a", "b"]  # c is reprieved


async def test_a_node_whose_eviction_violates_no_budget_is_preferred():
    nodes = [make_node("n1", cpu="1"), make_node("n2", cpu="1")]
    pods = [on("n1", "guarded", "1", labels={"app": "db"}), on("n2", "free", "1")]
    pdb = {
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "db"}}},
        "status": {"disruptionsAllowed": 0},
    }
    result, _, calls, _ = await preempt(nodes, pods, make_pod("vip", cpu="1", priority=100), [pdb])
    assert result.nominated_node_name == "n2" and ("delete", "free") in [(c[0], c[1]) for c in calls]


async def test_preemption_is_not_helpful_when_no_node_can_be_fixed_by_evicting():
    nodes = [make_node(f"g{i}", taints=[taint("dedicated", "gpu")]) for i in range(3)]
    result, status, calls, err = await preempt(nodes, [], make_pod("vip", priority=100))
    assert calls == [] and result.nominated_node_name == ""
    err.diagnosis.post_filter_msg = status.message()
    assert str(err) == (
        "0/3 nodes are available: 3 node(s) had untolerated taint {dedicated: gpu}. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )


async def test_nodes_without_lower_priority_pods_report_no_victims():
    nodes = [make_node("small", cpu="1"), make_node("t1", taints=[taint("dedicated", "gpu")])]
    _, status, calls, _ = await preempt(
        nodes, [on("small", "peer", "1", priority=100)], make_pod("vip", cpu="1", priority=100)
    )
    assert calls == []
    assert status.message() == (
        "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
        "1 Preemption is not helpful for scheduling."
    )


async def test_preemption_policy_never_is_honoured():
    nodes = [make_node("n1", cpu="1")]
    _, status, calls, _ = await preempt(
        nodes, [on("n1", "low", "1")], make_pod("vip", cpu="1", priority=100, preemption_policy="Never")
    )
    assert calls == [] and status.message() == "preemption: not eligible due to preemptionPolicy=Never."
