"""InterPodAffinity and PodTopologySpread: decisions per topology domain, as Kubernetes makes them."""

from __future__ import annotations

from kubelite.scheduler.framework.handle import Listers
from kubelite.scheduler.framework.status import Code
from kubelite.scheduler.framework.types import PodInfo
from kubelite.scheduler.plugins.interpodaffinity import InterPodAffinity
from kubelite.scheduler.plugins.podtopologyspread import PodTopologySpread
from kubelite.scheduler.testing import (
    FakeLister,
    filter_with,
    make_handle,
    make_node,
    make_pod,
    node_info,
    scores_with,
    snapshot_of,
)

ZONE = "topology.kubernetes.io/zone"


def term(labels: dict[str, str], key: str = ZONE, **extra: object) -> dict[str, object]:
    return {"labelSelector": {"matchLabels": labels}, "topologyKey": key, **extra}


def required(kind: str, *terms: dict[str, object]) -> dict[str, object]:
    return {kind: {"requiredDuringSchedulingIgnoredDuringExecution": list(terms)}}


def zones() -> list:
    return [
        node_info(make_node("a1", labels={ZONE: "a"}), make_pod("db", labels={"app": "db"})),
        node_info(make_node("a2", labels={ZONE: "a"})),
        node_info(make_node("b1", labels={ZONE: "b"})),
    ]


def ipa(nodes: list, **listers: object) -> InterPodAffinity:
    return InterPodAffinity(handle=make_handle(snapshot_of(nodes), listers=Listers(**listers)))  # type: ignore[arg-type]


def decide(pl, pod, nodes) -> dict[str, str]:
    out = {}
    for n in nodes:
        status = filter_with(pl, PodInfo(pod), n, nodes)
        out[n.name] = "ok" if status is None else status.reasons[0]
    return out


def test_required_affinity_places_a_pod_in_the_zone_of_a_matching_pod():
    nodes = zones()
    pod = make_pod(affinity=required("podAffinity", term({"app": "db"})))
    assert decide(ipa(nodes), pod, nodes) == {
        "a1": "ok",
        "a2": "ok",
        "b1": "node(s) didn't match pod affinity rules",
    }
    assert filter_with(ipa(nodes), PodInfo(pod), nodes[2], nodes).code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE


def test_required_affinity_on_the_hostname_key_means_the_same_node():
    nodes = zones()
    pod = make_pod(affinity=required("podAffinity", term({"app": "db"}, "kubernetes.io/hostname")))
    assert [n for n, d in decide(ipa(nodes), pod, nodes).items() if d == "ok"] == ["a1"]


def test_the_first_pod_of_a_self_affine_group_may_go_anywhere():
    nodes = zones()
    pod = make_pod(labels={"app": "web"}, affinity=required("podAffinity", term({"app": "web"})))
    assert set(decide(ipa(nodes), pod, nodes).values()) == {"ok"}


def test_required_anti_affinity_keeps_a_pod_out_of_zones_with_matching_pods():
    nodes = zones()
    pod = make_pod(affinity=required("podAntiAffinity", term({"app": "db"})))
    d = decide(ipa(nodes), pod, nodes)
    assert d == {"a1": "node(s) didn't match pod anti-affinity rules", "a2": d["a2"], "b1": "ok"}
    assert d["a2"] == "node(s) didn't match pod anti-affinity rules"


def test_existing_pods_anti_affinity_keeps_matching_pods_away():
    guard = make_pod(
        "guard", affinity=required("podAntiAffinity", term({"app": "web"}, "kubernetes.io/hostname"))
    )
    nodes = [node_info(make_node("n1"), guard), node_info(make_node("n2"))]
    pod = make_pod(labels={"app": "web"})
    assert decide(ipa(nodes), pod, nodes) == {
        "n1": "node(s) didn't satisfy existing pods anti-affinity rules",
        "n2": "ok",
    }


def test_terms_apply_to_the_pods_namespace_unless_namespaces_or_a_selector_say_otherwise():
    other = make_pod("db", namespace="data", labels={"app": "db"})
    nodes = [
        node_info(make_node("a1", labels={ZONE: "a"}), other),
        node_info(make_node("b1", labels={ZONE: "b"})),
    ]
    same_ns = make_pod(affinity=required("podAffinity", term({"app": "db"})))
    assert decide(ipa(nodes), same_ns, nodes)["a1"] == "node(s) didn't match pod affinity rules"
    listed = make_pod(affinity=required("podAffinity", term({"app": "db"}, namespaces=["data"])))
    assert decide(ipa(nodes), listed, nodes) == {"a1": "ok", "b1": "node(s) didn't match pod affinity rules"}
    namespaces = FakeLister([{"metadata": {"name": "data", "labels": {"team": "storage"}}}])
    by_selector = make_pod(
        affinity=required(
            "podAffinity", term({"app": "db"}, namespaceSelector={"matchLabels": {"team": "storage"}})
        )
    )
    assert decide(ipa(nodes, namespaces=namespaces), by_selector, nodes)["a1"] == "ok"
    everywhere = make_pod(affinity=required("podAffinity", term({"app": "db"}, namespaceSelector={})))
    assert decide(ipa(nodes), everywhere, nodes)["a1"] == "ok"


def test_preferred_affinity_scores_the_zone_with_matching_pods_highest():
    nodes = zones()
    pod = make_pod(
        affinity={
            "podAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 50, "podAffinityTerm": term({"app": "db"})}
                ]
            }
        }
    )
    assert scores_with(ipa(nodes), PodInfo(pod), nodes) == [100, 100, 0]
    anti = make_pod(
        affinity={
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 50, "podAffinityTerm": term({"app": "db"})}
                ]
            }
        }
    )
    assert scores_with(ipa(nodes), PodInfo(anti), nodes) == [0, 0, 100]


def spread(
    max_skew: int = 1, key: str = ZONE, when: str = "DoNotSchedule", **extra: object
) -> list[dict[str, object]]:
    return [
        {
            "maxSkew": max_skew,
            "topologyKey": key,
            "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": {"app": "web"}},
            **extra,
        }
    ]


def web_cluster() -> list:
    web = {"app": "web"}
    return [
        node_info(
            make_node("a1", labels={ZONE: "a"}), make_pod("w1", labels=web), make_pod("w2", labels=web)
        ),
        node_info(make_node("b1", labels={ZONE: "b"}), make_pod("w3", labels=web)),
        node_info(make_node("c1", labels={ZONE: "c"})),
        node_info(make_node("x1")),
    ]


def pts(nodes: list, **listers: object) -> PodTopologySpread:
    return PodTopologySpread(handle=make_handle(snapshot_of(nodes), listers=Listers(**listers)))  # type: ignore[arg-type]


def test_topology_spread_filters_domains_that_would_exceed_max_skew():
    nodes = web_cluster()
    pod = make_pod(labels={"app": "web"}, spread=spread(max_skew=1))
    assert decide(pts(nodes), pod, nodes) == {
        "a1": "node(s) didn't match pod topology spread constraints",
        "b1": "node(s) didn't match pod topology spread constraints",
        "c1": "ok",
        "x1": "node(s) didn't match pod topology spread constraints (missing required label)",
    }
    assert filter_with(pts(nodes), PodInfo(pod), nodes[3], nodes).code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    relaxed = make_pod(labels={"app": "web"}, spread=spread(max_skew=2))
    assert decide(pts(nodes), relaxed, nodes)["b1"] == "ok"


def test_min_domains_counts_the_global_minimum_as_zero_until_enough_domains_exist():
    nodes = web_cluster()[:2]  # zones a (2 pods) and b (1 pod)
    pod = make_pod(labels={"app": "web"}, spread=spread(max_skew=2, minDomains=3))
    # the minimum is taken as 0: b 1+1-0 = 2 fits, a 2+1-0 = 3 does not
    assert decide(pts(nodes), pod, nodes) == {
        "a1": "node(s) didn't match pod topology spread constraints",
        "b1": "ok",
    }


def test_schedule_anyway_spread_scores_emptier_domains_higher():
    nodes = web_cluster()[:3]
    pod = make_pod(labels={"app": "web"}, spread=spread(max_skew=1, when="ScheduleAnyway"))
    scores = scores_with(pts(nodes), PodInfo(pod), nodes)
    assert scores[2] == 100 and scores[0] < scores[1] < scores[2]


def test_pods_owned_by_a_service_get_the_cluster_default_spread():
    nodes = [
        node_info(make_node("n1", labels={ZONE: "a"}), make_pod("w1", labels={"app": "web"})),
        node_info(make_node("n2", labels={ZONE: "b"})),
    ]
    services = FakeLister(
        [{"metadata": {"name": "web", "namespace": "default"}, "spec": {"selector": {"app": "web"}}}]
    )
    pod = PodInfo(make_pod(labels={"app": "web"}))
    scores = scores_with(pts(nodes, services=services), pod, nodes)
    assert scores[1] > scores[0]
    assert scores_with(pts(nodes), pod, nodes) == [0, 0]  # no service: no default constraints (Skip)
