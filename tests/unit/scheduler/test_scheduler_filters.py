"""Each filter plugin's decision and the message users read, as Kubernetes words them."""

from __future__ import annotations

from typing import Any

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.handle import Listers
from kubelite.scheduler.framework.status import Code
from kubelite.scheduler.framework.types import PodInfo
from kubelite.scheduler.plugins.nodeaffinity import NodeAffinity
from kubelite.scheduler.plugins.nodename import NodeName
from kubelite.scheduler.plugins.nodeports import NodePorts
from kubelite.scheduler.plugins.noderesources import Fit
from kubelite.scheduler.plugins.nodeunschedulable import NodeUnschedulable
from kubelite.scheduler.plugins.schedulinggates import SchedulingGates
from kubelite.scheduler.plugins.tainttoleration import TaintToleration
from kubelite.scheduler.plugins.volumebinding import VolumeBinding
from kubelite.scheduler.testing import (
    FakeLister,
    filter_with,
    make_handle,
    make_node,
    make_pod,
    node_info,
    snapshot_of,
    taint,
    toleration,
)


def test_resources_fit_counts_requests_already_on_the_node():
    node = node_info(make_node("n", cpu="2", memory="4Gi"), make_pod("a", cpu="1500m"))
    fits = PodInfo(make_pod(cpu="500m"))
    too_big = PodInfo(make_pod(cpu="600m", memory="5Gi"))
    assert filter_with(Fit(), fits, node) is None
    status = filter_with(Fit(), too_big, node)
    assert status is not None and status.code is Code.UNSCHEDULABLE
    assert status.reasons == ("Insufficient cpu", "Insufficient memory")


def test_resources_fit_takes_the_largest_init_container_and_adds_overhead():
    pod = make_pod(cpu="500m", overhead={"cpu": "250m"})
    pod["spec"]["initContainers"] = [
        {"name": "i1", "image": "x", "resources": {"requests": {"cpu": "1"}}},
        {"name": "i2", "image": "x", "resources": {"requests": {"cpu": "1500m"}}},
    ]
    info = PodInfo(pod)
    assert info.requests.milli_cpu == 1750  # max(500, 1500) + 250
    assert filter_with(Fit(), info, node_info(make_node("n", cpu="1700m"))) is not None
    assert filter_with(Fit(), info, node_info(make_node("n", cpu="1750m"))) is None


def test_resources_fit_adds_sidecars_to_the_containers_and_the_later_init_containers():
    pod = make_pod(cpu="1")
    pod["spec"]["initContainers"] = [
        {"name": "side", "image": "x", "restartPolicy": "Always", "resources": {"requests": {"cpu": "1"}}},
        {"name": "init", "image": "x", "resources": {"requests": {"cpu": "1500m"}}},
    ]
    assert PodInfo(pod).requests.milli_cpu == 2500  # max(1 + 1 sidecar, 1.5 + 1 sidecar)


def test_resources_fit_checks_extended_resources_and_the_pod_count():
    node = node_info(make_node("n", pods=1, extended={"example.com/gpu": "1"}), make_pod("a"))
    status = filter_with(Fit(), PodInfo(make_pod(requests={"example.com/gpu": "2"})), node)
    assert status is not None and status.reasons == ("Too many pods", "Insufficient example.com/gpu")
    ignored = Fit({"ignoredResources": ["example.com/gpu"]})
    assert filter_with(ignored, PodInfo(make_pod(requests={"example.com/gpu": "2"})), node).reasons == (
        "Too many pods",
    )


def test_a_pod_without_requests_fits_anywhere_with_room_for_a_pod():
    assert filter_with(Fit(), PodInfo(make_pod()), node_info(make_node("n", cpu="0", memory="0"))) is None


def test_node_name_only_fits_the_named_node():
    pod = PodInfo(make_pod())
    pod.pod["spec"]["nodeName"] = "n2"
    status = filter_with(NodeName(), pod, node_info(make_node("n1")))
    assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert status.reasons == ("node(s) didn't match the requested node name",)
    assert filter_with(NodeName(), pod, node_info(make_node("n2"))) is None


def test_a_cordoned_node_refuses_pods_that_do_not_tolerate_it():
    cordoned = node_info(make_node("n", unschedulable=True))
    status = filter_with(NodeUnschedulable(), PodInfo(make_pod()), cordoned)
    assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE and status.reasons == (
        "node(s) were unschedulable",
    )
    tolerant = make_pod(tolerations=[toleration("node.kubernetes.io/unschedulable", operator="Exists")])
    assert filter_with(NodeUnschedulable(), PodInfo(tolerant), cordoned) is None


def test_untolerated_taints_are_named_in_the_message():
    node = node_info(make_node("n", taints=[taint("dedicated", "gpu")]))
    status = filter_with(TaintToleration(), PodInfo(make_pod()), node)
    assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert status.reasons == ("node(s) had untolerated taint {dedicated: gpu}",)
    for ok in (
        toleration("dedicated", "gpu", "NoSchedule"),
        toleration("dedicated", operator="Exists"),
        toleration(operator="Exists"),
    ):
        assert filter_with(TaintToleration(), PodInfo(make_pod(tolerations=[ok])), node) is None
    wrong_effect = make_pod(tolerations=[toleration("dedicated", "gpu", "NoExecute")])
    assert filter_with(TaintToleration(), PodInfo(wrong_effect), node) is not None


def test_prefer_no_schedule_taints_do_not_filter():
    node = node_info(make_node("n", taints=[taint("slow", "yes", "PreferNoSchedule")]))
    assert filter_with(TaintToleration(), PodInfo(make_pod()), node) is None


def test_node_selector_and_required_node_affinity_both_must_match():
    node = node_info(make_node("n", labels={"disk": "ssd", "zone": "a"}))
    pl = NodeAffinity()
    assert filter_with(pl, PodInfo(make_pod(node_selector={"disk": "ssd"})), node) is None
    status = filter_with(pl, PodInfo(make_pod(node_selector={"disk": "hdd"})), node)
    assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert status.reasons == ("node(s) didn't match Pod's node affinity/selector",)

    def required(*terms):
        return {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}
            }
        }

    zone_b = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]}
    zone_a = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
    assert filter_with(pl, PodInfo(make_pod(affinity=required(zone_b))), node) is not None
    assert filter_with(pl, PodInfo(make_pod(affinity=required(zone_b, zone_a))), node) is None  # terms ORed
    not_ssd = {"matchExpressions": [{"key": "disk", "operator": "NotIn", "values": ["ssd"]}]}
    assert filter_with(pl, PodInfo(make_pod(affinity=required(not_ssd))), node) is not None
    by_name = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n"]}]}
    assert filter_with(pl, PodInfo(make_pod(affinity=required(by_name))), node) is None
    gt = {"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["8"]}]}
    many = node_info(make_node("m", labels={"cores": "16"}))
    assert filter_with(pl, PodInfo(make_pod(affinity=required(gt))), many) is None


def test_node_affinity_pinning_names_narrows_candidates_in_pre_filter():
    from kubelite.scheduler.framework.cycle_state import CycleState

    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}
                ]
            }
        }
    }
    result, status = NodeAffinity().pre_filter(CycleState(), PodInfo(make_pod(affinity=affinity)), [])
    assert status is None and result is not None and result.node_names == {"n2"}


def test_scheduler_enforced_affinity_has_its_own_message():
    pl = NodeAffinity(
        {
            "addedAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "pool", "operator": "Exists"}]}]
                }
            }
        }
    )
    status = filter_with(pl, PodInfo(make_pod()), node_info(make_node("n")))
    assert status.reasons == ("node(s) didn't match scheduler-enforced node affinity",)


def test_host_ports_conflict_on_the_same_port_and_protocol():
    node = node_info(make_node("n"), make_pod("a", host_ports=[8080]))
    status = filter_with(NodePorts(), PodInfo(make_pod(host_ports=[8080])), node)
    assert status.code is Code.UNSCHEDULABLE
    assert status.reasons == ("node(s) didn't have free ports for the requested pod ports",)
    assert filter_with(NodePorts(), PodInfo(make_pod(host_ports=[9090])), node) is None
    udp = make_pod(host_ports=[8080])
    udp["spec"]["containers"][0]["ports"][0]["protocol"] = "UDP"
    assert filter_with(NodePorts(), PodInfo(udp), node) is None


def test_a_specific_host_ip_clashes_with_the_wildcard_but_not_another_ip():
    a = make_pod("a", host_ports=[80])
    a["spec"]["containers"][0]["ports"][0]["hostIP"] = "10.0.0.1"
    node = node_info(make_node("n"), a)
    other_ip = make_pod(host_ports=[80])
    other_ip["spec"]["containers"][0]["ports"][0]["hostIP"] = "10.0.0.2"
    assert filter_with(NodePorts(), PodInfo(other_ip), node) is None
    assert filter_with(NodePorts(), PodInfo(make_pod(host_ports=[80])), node) is not None  # 0.0.0.0


def test_scheduling_gates_hold_a_pod_out_of_the_queue():
    gated = make_pod(schedulingGates=[{"name": "example.com/a"}, {"name": "example.com/b"}])
    status = SchedulingGates().pre_enqueue(PodInfo(gated))
    assert status is not None and status.reasons == (
        "waiting for scheduling gates: [example.com/a example.com/b]",
    )
    assert SchedulingGates().pre_enqueue(PodInfo(make_pod())) is None


def test_volume_binding_passes_pods_without_claims_and_waits_for_missing_or_unbound_ones():
    claim = {"persistentVolumeClaim": {"claimName": "data"}}
    pod = PodInfo(make_pod(volumes=[{"name": "d", **claim}]))
    node = node_info(make_node("n"))
    assert filter_with(VolumeBinding(), PodInfo(make_pod()), node) is None
    missing = VolumeBinding(handle=make_handle(listers=Listers(pvcs=FakeLister())))
    assert filter_with(missing, pod, node).reasons == ('persistentvolumeclaim "data" not found',)
    unbound = {"metadata": {"name": "data", "namespace": "default"}, "spec": {}}
    pl = VolumeBinding(handle=make_handle(listers=Listers(pvcs=FakeLister([unbound]))))
    assert filter_with(pl, pod, node).reasons == ("pod has unbound immediate PersistentVolumeClaims",)
    bound = {"metadata": {"name": "data", "namespace": "default"}, "spec": {"volumeName": "pv1"}}
    pl = VolumeBinding(handle=make_handle(listers=Listers(pvcs=FakeLister([bound]))))
    assert filter_with(pl, pod, node) is None


def _local_pv(name: str, host: str, size: str = "1Gi", cls: str = "local") -> dict[str, Any]:
    term = {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [host]}]}
    return {
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": cls,
            "nodeAffinity": {"required": {"nodeSelectorTerms": [term]}},
        },
        "status": {"phase": "Available"},
    }


def test_volume_binding_keeps_pods_on_the_node_of_their_bound_local_volume():
    pod = PodInfo(make_pod(volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]))
    bound = {"metadata": {"name": "data", "namespace": "default"}, "spec": {"volumeName": "pv1"}}
    listers = Listers(pvcs=FakeLister([bound]), pvs=FakeLister([_local_pv("pv1", "a")]))
    pl = VolumeBinding(handle=make_handle(listers=listers))
    a = node_info(make_node("a", labels={"kubernetes.io/hostname": "a"}))
    b = node_info(make_node("b", labels={"kubernetes.io/hostname": "b"}))
    assert filter_with(pl, pod, a) is None
    assert filter_with(pl, pod, b).reasons == ("node(s) had volume node affinity conflict",)


def test_volume_binding_delays_wait_for_first_consumer_claims_to_a_node_with_a_volume_or_a_provisioner():
    pod = PodInfo(make_pod(volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]))
    claim = {
        "metadata": {"name": "data", "namespace": "default"},
        "spec": {
            "storageClassName": "local",
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }
    static = {
        "metadata": {"name": "local"},
        "provisioner": "kubernetes.io/no-provisioner",
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    listers = Listers(
        pvcs=FakeLister([claim]),
        pvs=FakeLister([_local_pv("pv1", "a")]),
        storage_classes=FakeLister([static]),
    )
    pl = VolumeBinding(handle=make_handle(listers=listers))
    a = node_info(make_node("a", labels={"kubernetes.io/hostname": "a"}))
    b = node_info(make_node("b", labels={"kubernetes.io/hostname": "b"}))
    assert filter_with(pl, pod, a) is None
    assert filter_with(pl, pod, b).reasons == ("node(s) didn't find available persistent volumes to bind",)
    dynamic = {**static, "provisioner": "kubelite.io/local-path"}
    listers.storage_classes = FakeLister([dynamic])
    assert filter_with(pl, pod, b) is None


def test_a_volume_reserved_for_one_pods_claim_is_not_offered_to_the_next_pod_until_unreserved():
    def claim(name: str) -> dict[str, Any]:
        spec = {"storageClassName": "local", "accessModes": ["ReadWriteOnce"]}
        return {
            "metadata": {"name": name, "namespace": "default"},
            "spec": {**spec, "resources": {"requests": {"storage": "1Gi"}}},
        }

    def pod(claim_name: str) -> PodInfo:
        return PodInfo(make_pod(volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": claim_name}}]))

    static = {
        "metadata": {"name": "local"},
        "provisioner": "kubernetes.io/no-provisioner",
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    listers = Listers(
        pvcs=FakeLister([claim("one"), claim("two")]),
        pvs=FakeLister([_local_pv("pv1", "a")]),
        storage_classes=FakeLister([static]),
    )
    a = node_info(make_node("a", labels={"kubernetes.io/hostname": "a"}))
    pl = VolumeBinding(handle=make_handle(snapshot_of([a]), listers=listers))
    first = CycleState()
    assert pl.pre_filter(first, pod("one"), [a])[1] is None
    assert pl.filter(first, pod("one"), a) is None
    assert pl.reserve(first, pod("one"), "a") is None
    # the first pod is binding pv1; the informer does not show it yet
    second = filter_with(pl, pod("two"), a)
    assert second is not None and second.reasons == (
        "node(s) didn't find available persistent volumes to bind",
    )
    assert filter_with(pl, pod("one"), a) is None  # still free for the claim it was reserved for
    pl.unreserve(first, pod("one"), "a")
    assert filter_with(pl, pod("two"), a) is None
