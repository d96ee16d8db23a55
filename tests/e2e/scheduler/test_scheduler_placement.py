"""The scheduler places pods as Kubernetes would, seen through the real kubectl on simulated
nodes (three nodes of 32 cpu each, sim-node-0..2)."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator

from .conftest import SchedulerCluster, wait_for

NODES = ["sim-node-0", "sim-node-1", "sim-node-2"]
ZONE = "topology.kubernetes.io/zone"


def apply_pod(
    sched: SchedulerCluster, ns: str, name: str, spec: str = "", labels: str = "{}", cpu: str = ""
) -> None:
    resources = f"\n    resources: {{requests: {{cpu: '{cpu}'}}}}" if cpu else ""
    sched.kubectl(
        "apply",
        "-n",
        ns,
        "-f",
        "-",
        input=f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {labels}}}
spec:
  containers:
  - name: c
    image: busybox{resources}
{spec}
""",
    )


@contextlib.contextmanager
def node_labels(sched: SchedulerCluster, labels: dict[str, str]) -> Iterator[None]:
    """Label nodes (`node=key=value`) for the duration of a test."""
    for node, kv in labels.items():
        sched.kubectl("label", "node", node, kv, "--overwrite")
    try:
        yield
    finally:
        for node, kv in labels.items():
            sched.kubectl("label", "node", node, kv.split("=")[0] + "-")


def test_pods_without_a_node_are_assigned_one_and_ties_go_round_robin(sched: SchedulerCluster, ns: str):
    for i in range(6):
        sched.kubectl("run", f"p{i}", "-n", ns, "--image=busybox", "--restart=Never")
    placed = Counter(sched.node_of(f"p{i}", ns) for i in range(6))
    assert placed == {n: 2 for n in NODES}
    pod = sched.pod("p0", ns)
    scheduled = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert scheduled["status"] == "True"
    events = json.loads(
        sched.kubectl(
            "get", "events", "-n", ns, "--field-selector", "involvedObject.name=p0", "-o", "json"
        ).stdout
    )["items"]
    scheduled_event = next(e for e in events if e["reason"] == "Scheduled")
    assert scheduled_event["type"] == "Normal"
    assert scheduled_event["message"] == f"Successfully assigned {ns}/p0 to {pod['spec']['nodeName']}"
    assert scheduled_event["source"]["component"] == "default-scheduler"
    wait_for(lambda: sched.pod("p0", ns)["status"].get("phase") == "Running", "the simulated node to run it")


def test_placement_by_resources_and_the_message_when_nothing_fits(sched: SchedulerCluster, ns: str):
    for i in range(3):
        apply_pod(sched, ns, f"big{i}", cpu="20")
    assert sorted(sched.node_of(f"big{i}", ns) for i in range(3)) == NODES  # 32 cpu: one each
    apply_pod(sched, ns, "too-big", cpu="20")
    assert sched.failed_scheduling("too-big", ns) == (
        "0/3 nodes are available: 3 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    )
    condition = next(
        c for c in sched.pod("too-big", ns)["status"]["conditions"] if c["type"] == "PodScheduled"
    )
    assert (condition["status"], condition["reason"]) == ("False", "Unschedulable")
    assert condition["message"].startswith("0/3 nodes are available: 3 Insufficient cpu.")
    sched.kubectl("delete", "pod", "big1", "-n", ns)
    assert sched.node_of("too-big", ns) == "sim-node-1"  # the deletion made room: retried at once


def test_node_selector_picks_the_labelled_node(sched: SchedulerCluster, ns: str):
    with node_labels(sched, {"sim-node-2": "disk=ssd"}):
        for i in range(3):
            apply_pod(sched, ns, f"ssd{i}", spec="  nodeSelector: {disk: ssd}")
        assert {sched.node_of(f"ssd{i}", ns) for i in range(3)} == {"sim-node-2"}
        apply_pod(sched, ns, "nvme", spec="  nodeSelector: {disk: nvme}")
        assert sched.failed_scheduling("nvme", ns) == (
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        )


ZONES = {"sim-node-0": f"{ZONE}=a", "sim-node-1": f"{ZONE}=b", "sim-node-2": f"{ZONE}=c"}


def test_affinity_and_anti_affinity_across_zones(sched: SchedulerCluster, ns: str):
    with node_labels(sched, ZONES):
        apply_pod(
            sched, ns, "db", spec="  nodeSelector: {kubernetes.io/hostname: sim-node-1}", labels="{app: db}"
        )
        assert sched.node_of("db", ns) == "sim-node-1"
        near = f"""  affinity:
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {{matchLabels: {{app: db}}}}
        topologyKey: {ZONE}"""
        apply_pod(sched, ns, "near-db", spec=near)
        assert sched.node_of("near-db", ns) == "sim-node-1"
        apart = f"""  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {{matchLabels: {{app: web}}}}
        topologyKey: {ZONE}"""
        for i in range(3):
            apply_pod(sched, ns, f"web{i}", spec=apart, labels="{app: web}")
        assert sorted(sched.node_of(f"web{i}", ns) for i in range(3)) == NODES
        apply_pod(sched, ns, "web3", spec=apart, labels="{app: web}")
        assert sched.failed_scheduling("web3", ns) == (
            "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. "
            "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
        )


def test_topology_spread_keeps_zones_even(sched: SchedulerCluster, ns: str):
    spread = f"""  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: {ZONE}
    whenUnsatisfiable: DoNotSchedule
    labelSelector: {{matchLabels: {{app: spread}}}}"""
    with node_labels(sched, ZONES):
        apply_pod(
            sched,
            ns,
            "s0",
            spec="  nodeSelector: {kubernetes.io/hostname: sim-node-0}",
            labels="{app: spread}",
        )
        sched.node_of("s0", ns)
        for i in range(1, 6):
            apply_pod(sched, ns, f"s{i}", spec=spread, labels="{app: spread}")
            sched.node_of(f"s{i}", ns)
        assert Counter(sched.node_of(f"s{i}", ns) for i in range(6)) == {n: 2 for n in NODES}


def test_taints_keep_out_pods_that_do_not_tolerate_them(sched: SchedulerCluster, ns: str):
    try:
        sched.kubectl("taint", "nodes", "sim-node-0", "sim-node-1", "dedicated=gpu:NoSchedule")
        apply_pod(sched, ns, "plain")
        assert sched.node_of("plain", ns) == "sim-node-2"
        tolerant = """  tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]
  nodeSelector: {kubernetes.io/hostname: sim-node-0}"""
        apply_pod(sched, ns, "gpu", spec=tolerant)
        assert sched.node_of("gpu", ns) == "sim-node-0"
        sched.kubectl("taint", "nodes", "sim-node-2", "dedicated=gpu:NoSchedule")
        apply_pod(sched, ns, "stuck")
        assert sched.failed_scheduling("stuck", ns) == (
            "0/3 nodes are available: 3 node(s) had untolerated taint {dedicated: gpu}. "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        )
        sched.kubectl("taint", "nodes", "sim-node-2", "dedicated-")
        assert sched.node_of("stuck", ns) == "sim-node-2"  # the taint's removal retried it
    finally:
        sched.kubectl("taint", "nodes", "--all", "dedicated-", check=False)


def test_cordoned_nodes_take_no_new_pods(sched: SchedulerCluster, ns: str):
    try:
        sched.kubectl("cordon", "sim-node-0", "sim-node-1")
        for i in range(3):
            sched.kubectl("run", f"c{i}", "-n", ns, "--image=busybox", "--restart=Never")
        assert {sched.node_of(f"c{i}", ns) for i in range(3)} == {"sim-node-2"}
        sched.kubectl("cordon", "sim-node-2")
        sched.kubectl("run", "waiting", "-n", ns, "--image=busybox", "--restart=Never")
        assert sched.failed_scheduling("waiting", ns) == (
            "0/3 nodes are available: 3 node(s) were unschedulable. "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        )
        sched.kubectl("uncordon", "sim-node-1")
        assert sched.node_of("waiting", ns) == "sim-node-1"
    finally:
        sched.kubectl("uncordon", *NODES)


def test_host_ports_are_taken_once_per_node(sched: SchedulerCluster, ns: str):
    ports = """  containers:
  - name: c
    image: busybox
    ports: [{containerPort: 8080, hostPort: 8080}]"""
    for i in range(4):
        sched.kubectl(
            "apply",
            "-n",
            ns,
            "-f",
            "-",
            input=f"apiVersion: v1\nkind: Pod\nmetadata: {{name: hp{i}}}\nspec:\n{ports}\n",
        )

    def bound() -> list[str]:
        nodes = [sched.pod(f"hp{i}", ns)["spec"].get("nodeName") for i in range(4)]
        return [n for n in nodes if n] if len([n for n in nodes if n]) == 3 else []

    assert sorted(wait_for(bound, "three of the pods to be bound")) == NODES
    pending = next(f"hp{i}" for i in range(4) if not sched.pod(f"hp{i}", ns)["spec"].get("nodeName"))
    assert sched.failed_scheduling(pending, ns) == (
        "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports. "
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    )


def test_a_pod_for_another_scheduler_is_left_alone(sched: SchedulerCluster, ns: str):
    apply_pod(sched, ns, "not-mine", spec="  schedulerName: my-own-scheduler")
    sched.kubectl("run", "mine", "-n", ns, "--image=busybox", "--restart=Never")
    sched.node_of("mine", ns)  # the scheduler is working...
    pod = sched.pod("not-mine", ns)
    assert not pod["spec"].get("nodeName") and not pod["status"].get("conditions")  # ...but not on this one
    events = sched.kubectl(
        "get", "events", "-n", ns, "--field-selector", "involvedObject.name=not-mine"
    ).stdout
    assert "FailedScheduling" not in events and "Scheduled" not in events


def test_a_higher_priority_pod_preempts_a_lower_priority_one(sched: SchedulerCluster, ns: str):
    sched.kubectl("create", "priorityclass", f"{ns}-low", "--value=10", check=False)
    sched.kubectl("create", "priorityclass", f"{ns}-high", "--value=1000", check=False)
    try:
        for i in range(3):
            apply_pod(sched, ns, f"low{i}", spec=f"  priorityClassName: {ns}-low", cpu="20")
        nodes = {sched.node_of(f"low{i}", ns): f"low{i}" for i in range(3)}
        apply_pod(sched, ns, "vip", spec=f"  priorityClassName: {ns}-high", cpu="20")
        node = sched.node_of("vip", ns, timeout=60)
        victim = nodes[node]
        gone = sched.kubectl("get", "pod", victim, "-n", ns, check=False)
        assert gone.returncode != 0 and "NotFound" in gone.stderr
        assert sched.pod("vip", ns)["spec"]["priority"] == 1000
        events = sched.kubectl(
            "get", "events", "-n", ns, "--field-selector", f"involvedObject.name={victim}"
        ).stdout
        assert "Preempted" in events and f"on node {node}" in events
        # A pod's preemptionPolicy comes from its class (Priority admission refuses another).
        sched.kubectl("create", "priorityclass", f"{ns}-polite", "--value=1000", "--preemption-policy=Never")
        apply_pod(sched, ns, "polite", spec=f"  priorityClassName: {ns}-polite", cpu="20")
        assert sched.failed_scheduling("polite", ns).endswith(
            "preemption: not eligible due to preemptionPolicy=Never."
        )
    finally:
        sched.kubectl("delete", "priorityclass", f"{ns}-low", f"{ns}-high", f"{ns}-polite", check=False)


def test_the_scheduler_serves_health_and_metrics(sched: SchedulerCluster, ns: str):
    s = sched.schedulers[0]
    assert s.get("/healthz") == (200, "ok")
    assert s.get("/readyz") == (200, "ok")
    sched.kubectl("run", "counted", "-n", ns, "--image=busybox", "--restart=Never")
    sched.node_of("counted", ns)
    assert (
        wait_for(
            lambda: s.metric(
                'scheduler_schedule_attempts_total{profile="default-scheduler",result="scheduled"}'
            ),
            "a metric",
        )
        >= 1
    )
    _, body = s.get("/metrics")
    for name in (
        'scheduler_pending_pods{queue="active"}',
        "scheduler_pod_scheduling_sli_duration_seconds_bucket",
        'scheduler_framework_extension_point_duration_seconds_bucket{extension_point="Filter"',
        "scheduler_scheduling_attempt_duration_seconds_bucket",
        'leader_election_master_status{name="kube-scheduler"} 1.0',
    ):
        assert name in body, name
