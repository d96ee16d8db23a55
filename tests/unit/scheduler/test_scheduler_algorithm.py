"""Choosing the node: how many nodes are looked at, the FailedScheduling message, ties."""

from __future__ import annotations

import pytest

from kubelite.scheduler.algorithm import Algorithm, num_feasible_nodes_to_find
from kubelite.scheduler.cache import Cache, Snapshot
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.diagnosis import FitError, NoNodesAvailable
from kubelite.scheduler.framework.types import PodInfo
from kubelite.scheduler.testing import make_framework, make_node, make_pod, taint


@pytest.mark.parametrize(
    ("nodes", "found"),
    [(50, 50), (99, 99), (100, 100), (200, 100), (1000, 420), (5000, 500), (6000, 300), (10000, 500)],
)
def test_adaptive_percentage_of_nodes_to_score(nodes, found):
    assert num_feasible_nodes_to_find(0, nodes) == found


def test_a_configured_percentage_is_used_but_never_below_100_nodes():
    assert num_feasible_nodes_to_find(30, 1000) == 300
    assert num_feasible_nodes_to_find(5, 1000) == 100


def cluster(*nodes: dict) -> tuple[Cache, Snapshot, Algorithm]:
    cache, snap = Cache(), Snapshot()
    for n in nodes:
        cache.add_node(n)
    cache.update_snapshot(snap)
    return cache, snap, Algorithm(snap)


def test_the_message_counts_each_reason_over_the_nodes():
    _, snap, alg = cluster(
        make_node("small", cpu="1"),
        make_node("gpu1", taints=[taint("dedicated", "gpu")]),
        make_node("gpu2", taints=[taint("dedicated", "gpu")]),
    )
    fw = make_framework(snap)
    with pytest.raises(FitError) as err:
        alg.schedule_pod(fw, CycleState(), PodInfo(make_pod(cpu="2")))
    assert str(err.value) == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}."
    )
    assert err.value.diagnosis.unschedulable_plugins == {"NodeResourcesFit", "TaintToleration"}


def test_no_nodes_at_all():
    _, snap, alg = cluster()
    with pytest.raises(NoNodesAvailable, match="no nodes available to schedule pods"):
        alg.schedule_pod(make_framework(snap), CycleState(), PodInfo(make_pod()))


def test_equal_nodes_are_chosen_in_turn():
    cache, snap, alg = cluster(*(make_node(f"n{i}") for i in range(3)))
    fw = make_framework(snap)
    chosen = []
    for i in range(6):
        pod = make_pod(f"p{i}", cpu="100m")
        fw.handle.set_snapshot(snap)
        node = alg.schedule_pod(fw, CycleState(), PodInfo(pod)).suggested_host
        chosen.append(node)
        cache.assume_pod(PodInfo({**pod, "spec": {**pod["spec"], "nodeName": node}}))
        cache.update_snapshot(snap)
    assert sorted(chosen) == ["n0", "n0", "n1", "n1", "n2", "n2"]
    assert chosen[:3] == ["n0", "n1", "n2"]


def test_ties_rotate_even_when_scores_do_not_change():
    _, snap, alg = cluster(*(make_node(f"n{i}") for i in range(3)))
    fw = make_framework(snap)
    picks = [alg.select_host(snap.node_info_list, [7, 7, 7]) for _ in range(4)]
    assert picks == ["n0", "n1", "n2", "n0"]
    assert alg.select_host(snap.node_info_list, [1, 9, 9]) == "n1"
    assert fw is not None


def test_the_assumed_pod_counts_in_the_next_cycle():
    cache, snap, alg = cluster(make_node("only", cpu="1"))
    fw = make_framework(snap)
    first = make_pod("a", cpu="800m")
    host = alg.schedule_pod(fw, CycleState(), PodInfo(first)).suggested_host
    cache.assume_pod(PodInfo({**first, "spec": {**first["spec"], "nodeName": host}}))
    cache.update_snapshot(snap)
    with pytest.raises(FitError, match="1 Insufficient cpu"):
        alg.schedule_pod(fw, CycleState(), PodInfo(make_pod("b", cpu="800m")))


def test_each_cycle_starts_filtering_where_the_last_one_stopped():
    _, snap, alg = cluster(*(make_node(f"n{i:03}") for i in range(300)))
    fw = make_framework(snap)
    alg.schedule_pod(fw, CycleState(), PodInfo(make_pod(cpu="1m")))
    assert alg.next_start_node_index == 144  # 300 nodes: 48 % (50 % - 300/125) are enough
    alg.schedule_pod(fw, CycleState(), PodInfo(make_pod(cpu="1m")))
    assert alg.next_start_node_index == 288


def test_a_pod_nominated_by_preemption_tries_its_node_first():
    _, snap, alg = cluster(make_node("a"), make_node("b"))
    pod = make_pod()
    pod["status"] = {"nominatedNodeName": "b"}
    assert alg.schedule_pod(make_framework(snap), CycleState(), PodInfo(pod)).suggested_host == "b"
