"""Each score plugin's arithmetic, as Kubernetes computes it."""

from __future__ import annotations

import pytest

from kubelite.scheduler.framework.types import PodInfo
from kubelite.scheduler.plugins.imagelocality import ImageLocality
from kubelite.scheduler.plugins.nodeaffinity import NodeAffinity
from kubelite.scheduler.plugins.noderesources import BalancedAllocation, Fit
from kubelite.scheduler.plugins.noderesources.scoring import broken_linear
from kubelite.scheduler.plugins.tainttoleration import TaintToleration
from kubelite.scheduler.testing import (
    make_handle,
    make_node,
    make_pod,
    node_info,
    scores_with,
    snapshot_of,
    taint,
    toleration,
)


def test_least_allocated_is_the_default_and_counts_empty_requests_as_100m_and_200mi():
    empty = node_info(make_node("a", cpu="4", memory="32Gi"))
    busy = node_info(make_node("b", cpu="4", memory="32Gi"), make_pod("x", cpu="2", memory="16Gi"))
    # a: cpu (4000-100)*100//4000 = 97, memory (32768-200)*100//32768 = 99 -> 98
    # b: cpu (4000-2100)*100//4000 = 47, memory (32768-16584)*100//32768 = 49 -> 48
    assert scores_with(Fit(), PodInfo(make_pod()), [empty, busy]) == [98, 48]


def test_least_allocated_gives_zero_for_a_resource_requested_beyond_allocatable():
    node = node_info(make_node("a", cpu="1", memory="1Gi"))
    assert scores_with(Fit(), PodInfo(make_pod(cpu="2", memory="512Mi")), [node]) == [25]  # (0 + 50) // 2


def test_most_allocated_prefers_the_fuller_node():
    fit = Fit({"scoringStrategy": {"type": "MostAllocated"}})
    empty = node_info(make_node("a", cpu="4", memory="32Gi"))
    busy = node_info(make_node("b", cpu="4", memory="32Gi"), make_pod("x", cpu="2", memory="16Gi"))
    assert scores_with(fit, PodInfo(make_pod(cpu="1", memory="8Gi")), [empty, busy]) == [25, 75]


def test_requested_to_capacity_ratio_follows_the_shape_and_rounds():
    fit = Fit(
        {
            "scoringStrategy": {
                "type": "RequestedToCapacityRatio",
                "resources": [{"name": "cpu", "weight": 1}],
                "requestedToCapacityRatio": {
                    "shape": [{"utilization": 0, "score": 0}, {"utilization": 100, "score": 10}]
                },
            }
        }
    )
    node = node_info(make_node("a", cpu="4"), make_pod("x", cpu="1"))
    assert scores_with(fit, PodInfo(make_pod(cpu="1")), [node]) == [50]
    f = broken_linear([(0, 100), (50, 0), (100, 100)])
    assert [f(0), f(25), f(50), f(75), f(100)] == [100, 50, 0, 50, 100]


def test_a_weighted_resource_counts_more():
    fit = Fit(
        {"scoringStrategy": {"resources": [{"name": "cpu", "weight": 3}, {"name": "memory", "weight": 1}]}}
    )
    node = node_info(make_node("a", cpu="4", memory="4Gi"))
    # cpu (4000-2000)*100//4000 = 50 (x3), memory (4096-3072)*100//4096 = 25 (x1) -> 175 // 4 = 43
    assert scores_with(fit, PodInfo(make_pod(cpu="2", memory="3Gi")), [node]) == [43]


def test_an_unknown_scoring_strategy_is_refused_with_the_supported_ones():
    with pytest.raises(ValueError, match='Unsupported value: "Random"'):
        Fit({"scoringStrategy": {"type": "Random"}})


def test_balanced_allocation_prefers_even_use_of_cpu_and_memory():
    node = node_info(make_node("a", cpu="4", memory="32Gi"))
    # cpu 2/4 = 0.5, memory 4/32 = 0.125: std 0.1875 -> 81
    assert scores_with(BalancedAllocation(), PodInfo(make_pod(cpu="2", memory="4Gi")), [node]) == [81]
    assert scores_with(BalancedAllocation(), PodInfo(make_pod(cpu="2", memory="16Gi")), [node]) == [100]


def test_taint_toleration_scores_fewer_untolerated_prefer_no_schedule_taints_higher():
    soft = "PreferNoSchedule"
    a = node_info(make_node("a", taints=[taint("x", "1", soft), taint("y", "1", soft)]))
    b = node_info(make_node("b"))
    c = node_info(make_node("c", taints=[taint("x", "1", soft)]))
    assert scores_with(TaintToleration(), PodInfo(make_pod()), [a, b, c]) == [0, 100, 50]
    tolerant = make_pod(tolerations=[toleration("x", "1", soft)])
    assert scores_with(TaintToleration(), PodInfo(tolerant), [a, b, c]) == [0, 100, 100]


def test_preferred_node_affinity_scores_by_matching_weights():
    affinity = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 20,
                    "preference": {
                        "matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]
                    },
                },
                {
                    "weight": 60,
                    "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
                },
            ]
        }
    }
    nodes = [
        node_info(make_node("ssd-a", labels={"disk": "ssd", "zone": "a"})),
        node_info(make_node("a", labels={"zone": "a"})),
        node_info(make_node("ssd", labels={"disk": "ssd"})),
        node_info(make_node("none")),
    ]
    assert scores_with(NodeAffinity(), PodInfo(make_pod(affinity=affinity)), nodes) == [100, 75, 25, 0]


def test_image_locality_scores_nodes_that_have_the_images_by_size_and_spread():
    mb = 1024 * 1024
    with_image = node_info(make_node("a", images={"docker.io/library/app:1": 500 * mb}))
    without = node_info(make_node("b"))
    snap = snapshot_of([with_image, without])
    for n in (with_image, without):
        n.image_states = {}
    from kubelite.scheduler.cache import Cache

    cache = Cache()
    for n in ("a", "b"):
        cache.add_node(snap.get(n).node)
    cache.update_snapshot(snap)
    pl = ImageLocality(handle=make_handle(snap))
    pod = PodInfo(make_pod(images=["docker.io/library/app:1"]))
    # 500 MB on 1 of 2 nodes counts 250 MB: 100 * (250 - 23) // (1000 - 23) = 23
    assert scores_with(pl, pod, [snap.get("a"), snap.get("b")]) == [23, 0]
