"""The cache: assumed pods count at once; snapshots copy only what changed."""

from __future__ import annotations

from kubelite.scheduler.cache import Cache, Snapshot
from kubelite.scheduler.framework.types import PodInfo
from kubelite.scheduler.testing import make_node, make_pod

ZONE = "topology.kubernetes.io/zone"


def bound(pod: dict, node: str) -> dict:
    return {**pod, "spec": {**pod["spec"], "nodeName": node}}


def test_an_assumed_pod_counts_on_its_node_until_it_is_confirmed_or_forgotten():
    cache, snap = Cache(), Snapshot()
    cache.add_node(make_node("n", cpu="2"))
    pod = bound(make_pod("p", cpu="1"), "n")
    cache.assume_pod(PodInfo(pod))
    cache.update_snapshot(snap)
    assert snap.get("n").requested.milli_cpu == 1000 and cache.is_assumed(PodInfo(pod).uid)
    cache.add_pod(pod)  # the informer confirms the binding
    cache.update_snapshot(snap)
    assert snap.get("n").requested.milli_cpu == 1000 and not cache.is_assumed(PodInfo(pod).uid)
    other = bound(make_pod("q", cpu="1"), "n")
    cache.assume_pod(PodInfo(other))
    cache.forget_pod(PodInfo(other))
    cache.update_snapshot(snap)
    assert snap.get("n").requested.milli_cpu == 1000 and len(snap.get("n").pods) == 1


def test_a_snapshot_copies_only_nodes_that_changed():
    cache, snap = Cache(), Snapshot()
    for i in range(3):
        cache.add_node(make_node(f"n{i}"))
    cache.update_snapshot(snap)
    before = {n: snap.get(n) for n in ("n0", "n1", "n2")}
    cache.assume_pod(PodInfo(bound(make_pod("p"), "n1")))
    cache.update_snapshot(snap)
    assert snap.get("n0") is before["n0"] and snap.get("n2") is before["n2"]
    assert snap.get("n1") is not before["n1"] and len(snap.get("n1").pods) == 1
    assert len(before["n1"].pods) == 0  # the earlier snapshot's copy is untouched


def test_nodes_are_listed_zone_by_zone_in_turn():
    cache, snap = Cache(), Snapshot()
    for name, zone in (("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("c1", "c"), ("b2", "b")):
        cache.add_node(make_node(name, labels={ZONE: zone}))
    cache.update_snapshot(snap)
    assert [n.name for n in snap.node_info_list] == ["a1", "b1", "c1", "a2", "b2", "a3"]


def test_a_heartbeat_does_not_make_a_new_copy_but_a_label_change_does():
    cache, snap = Cache(), Snapshot()
    cache.add_node(make_node("n"))
    cache.update_snapshot(snap)
    first = snap.get("n")
    cache.update_node(make_node("n"), changed=False)
    cache.update_snapshot(snap)
    assert snap.get("n") is first
    cache.update_node(make_node("n", labels={"new": "x"}))
    cache.update_snapshot(snap)
    assert snap.get("n") is not first and snap.get("n").labels["new"] == "x"


def test_a_removed_node_leaves_the_snapshot_and_its_pods_wait_for_their_own_deletes():
    cache, snap = Cache(), Snapshot()
    cache.add_node(make_node("n"))
    cache.add_pod(bound(make_pod("p"), "n"))
    cache.remove_node(make_node("n"))
    cache.update_snapshot(snap)
    assert snap.num_nodes() == 0 and cache.pod_count() == 1
    cache.remove_pod(bound(make_pod("p", uid=PodInfo(bound(make_pod("p"), "n")).uid), "n"))
