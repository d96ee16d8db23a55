"""Everyday kubectl workflows: scale, wait, describe with events, edit, drain with a
disruption budget, deletion with finalizers and propagation, and get's output options."""

from __future__ import annotations

import json
import os
import stat
import uuid

import pytest

KUBECTL_DIR = "/usr/lib/google-cloud-sdk/bin"
BINARIES = ["kubectl", f"{KUBECTL_DIR}/kubectl.1.33", f"{KUBECTL_DIR}/kubectl.1.27"]


@pytest.fixture
def ns(cluster):
    name = "w-" + uuid.uuid4().hex[:8]
    cluster.kubectl("create", "namespace", name)
    return name


def create(cluster, obj: dict, *args: str) -> None:
    cluster.kubectl("create", "--validate=false", "-f", "-", *args, input=json.dumps(obj))


def running_pod(cluster, ns: str, name: str, node: str, labels: dict[str, str]) -> None:
    create(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]},
        },
    )
    cluster.kubectl(
        "patch",
        "pod",
        name,
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}),
    )


@pytest.mark.parametrize("binary", BINARIES)
def test_scale_and_wait_for_condition_jsonpath_and_delete(cluster, ns, binary):
    cluster.kubectl("create", "deployment", "web", "--image=nginx", "-n", ns)
    out = cluster.kubectl("scale", "deploy/web", "--replicas=3", "-n", ns, binary=binary).stdout
    assert out.strip() == "deployment.apps/web scaled"
    assert cluster.kubectl("get", "deploy/web", "-n", ns, "-o", "jsonpath={.spec.replicas}").stdout == "3"

    cluster.kubectl(
        "patch",
        "deploy/web",
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps(
            {
                "status": {
                    "conditions": [
                        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}
                    ]
                }
            }
        ),
    )
    out = cluster.kubectl(
        "wait", "deploy/web", "-n", ns, "--for=condition=Available", "--timeout=10s", binary=binary
    ).stdout
    assert out.strip() == "deployment.apps/web condition met"
    out = cluster.kubectl(
        "wait", "deploy/web", "-n", ns, "--for=jsonpath={.spec.replicas}=3", "--timeout=10s", binary=binary
    ).stdout
    assert out.strip() == "deployment.apps/web condition met"
    cluster.kubectl("delete", "deploy/web", "-n", ns, "--wait=false")
    out = cluster.kubectl(
        "wait", "deploy/web", "-n", ns, "--for=delete", "--timeout=10s", binary=binary, check=False
    )
    assert out.returncode == 0, out.stderr


def test_status_subresource_and_main_endpoint_write_their_own_halves(cluster, ns):
    cluster.kubectl("create", "deployment", "split", "--image=nginx", "-n", ns)
    cluster.kubectl("patch", "deploy/split", "-n", ns, "--type=merge", "-p", '{"status":{"replicas":9}}')
    live = json.loads(cluster.kubectl("get", "deploy/split", "-n", ns, "-o", "json").stdout)
    assert "replicas" not in live.get("status", {})
    cluster.kubectl(
        "patch",
        "deploy/split",
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"spec":{"replicas":7},"status":{"replicas":4},'
        '"metadata":{"labels":{"x":"y"},"annotations":{"note":"kept"}}}',
    )
    live = json.loads(cluster.kubectl("get", "deploy/split", "-n", ns, "-o", "json").stdout)
    assert live["spec"]["replicas"] == 1 and live["status"]["replicas"] == 4
    assert "x" not in live["metadata"]["labels"]  # workloads keep labels on /status
    assert live["metadata"]["annotations"]["note"] == "kept"
    assert live["metadata"]["generation"] == 1


def test_describe_shows_events_found_by_involved_object(cluster, ns):
    running_pod(cluster, ns, "desc", "node-d", {"app": "desc"})
    pod = json.loads(cluster.kubectl("get", "pod/desc", "-n", ns, "-o", "json").stdout)
    create(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "desc.1", "namespace": ns},
            "involvedObject": {
                "kind": "Pod",
                "namespace": ns,
                "name": "desc",
                "uid": pod["metadata"]["uid"],
                "apiVersion": "v1",
            },
            "reason": "Pulled",
            "message": "Successfully pulled image nginx",
            "type": "Normal",
            "source": {"component": "kubelet"},
            "count": 1,
            "firstTimestamp": pod["metadata"]["creationTimestamp"],
            "lastTimestamp": pod["metadata"]["creationTimestamp"],
        },
    )
    out = cluster.kubectl("describe", "pod", "desc", "-n", ns).stdout
    assert "Name:" in out and "desc" in out and "Node:" in out and "node-d" in out
    events = out.split("Events:", 1)[1]
    assert "Pulled" in events and "Successfully pulled image nginx" in events and "kubelet" in events
    cluster.kubectl("create", "deployment", "dd", "--image=nginx", "-n", ns)
    out = cluster.kubectl("describe", "deploy/dd", "-n", ns).stdout
    assert "Replicas:" in out and "Events:" in out


def event(ns: str, name: str, involved: dict, reason: str, message: str) -> dict:
    when = "2024-01-01T00:00:00Z"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": "Normal",
        "source": {"component": "kubelet"},
        "count": 1,
        "firstTimestamp": when,
        "lastTimestamp": when,
    }


def test_describe_node_shows_status_pods_lease_and_both_event_queries(cluster, ns):
    node = "dn-" + ns
    create(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node, "labels": {"node-role.kubernetes.io/worker": ""}},
            "status": {
                "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                        "lastHeartbeatTime": "2024-01-01T00:00:00Z",
                        "lastTransitionTime": "2024-01-01T00:00:00Z",
                    }
                ],
                "addresses": [{"type": "InternalIP", "address": "10.0.0.5"}],
                "nodeInfo": {
                    "kubeletVersion": "v1.32.0",
                    "osImage": "kubelite",
                    "containerRuntimeVersion": "kubelite://0.1",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                },
            },
        },
    )
    create(
        cluster,
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": node, "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": node, "leaseDurationSeconds": 40},
        },
    )
    create(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "on-node", "namespace": ns},
            "spec": {
                "nodeName": node,
                "containers": [
                    {
                        "name": "c",
                        "image": "nginx",
                        "resources": {"requests": {"cpu": "400m", "memory": "1Gi"}},
                    }
                ],
            },
        },
    )
    uid = json.loads(cluster.kubectl("get", "node", node, "-o", "json").stdout)["metadata"]["uid"]
    # Kubernetes' node controllers name the node by uid; the kubelet puts the node name there.
    # Node events live in `default`, with an empty involvedObject.namespace.
    create(
        cluster,
        event(
            "default",
            node + ".a",
            {"kind": "Node", "name": node, "uid": uid},
            "RegisteredNode",
            "Node registered",
        ),
    )
    create(
        cluster,
        event(
            "default",
            node + ".b",
            {"kind": "Node", "name": node, "uid": node},
            "Starting",
            "Starting kubelet.",
        ),
    )
    out = cluster.kubectl("describe", "node", node).stdout
    assert "Roles:              worker" in out
    assert f"HolderIdentity:  {node}" in out
    assert "KubeletReady" in out and "InternalIP:  10.0.0.5" in out
    assert "Kubelet Version:            v1.32.0" in out
    assert "Non-terminated Pods:          (1 in total)" in out and "on-node" in out
    assert "cpu                400m (10%)" in out and "memory             1Gi (12%)" in out
    events = out.split("Events:", 1)[1]
    assert "RegisteredNode" in events and "Starting kubelet." in events


def test_describe_service_shows_endpoints_from_its_slices_and_events(cluster, ns):
    cluster.kubectl("create", "service", "clusterip", "web", "--tcp=80:8080", "-n", ns)
    create(
        cluster,
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "web-x", "namespace": ns, "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4",
            "ports": [{"name": "80-8080", "port": 8080, "protocol": "TCP"}],
            "endpoints": [
                {"addresses": ["10.244.1.7"], "conditions": {"ready": True}},
                {"addresses": ["10.244.1.8"], "conditions": {"ready": True}},
            ],
        },
    )
    svc = json.loads(cluster.kubectl("get", "svc/web", "-n", ns, "-o", "json").stdout)
    create(
        cluster,
        event(
            ns,
            "web.1",
            {
                "kind": "Service",
                "namespace": ns,
                "name": "web",
                "uid": svc["metadata"]["uid"],
                "apiVersion": "v1",
            },
            "EnsuringLoadBalancer",
            "Ensuring load balancer",
        ),
    )
    out = cluster.kubectl("describe", "svc", "web", "-n", ns).stdout
    assert "Type:                     ClusterIP" in out
    assert "Endpoints:                10.244.1.7:8080,10.244.1.8:8080" in out
    assert "TargetPort:               8080/TCP" in out
    assert "EnsuringLoadBalancer" in out.split("Events:", 1)[1]


@pytest.mark.parametrize("binary", [BINARIES[0], BINARIES[2]])
def test_edit_round_trips_through_an_editor(cluster, ns, tmp_path, binary):
    cluster.kubectl("create", "configmap", "ed", "--from-literal=color=blue", "-n", ns)
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/color: blue/color: green/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    env = cluster.env()
    env["KUBE_EDITOR"] = str(editor)
    import subprocess

    res = subprocess.run(
        [binary, "edit", "cm/ed", "-n", ns], env=env, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "configmap/ed edited"
    live = json.loads(cluster.kubectl("get", "cm/ed", "-n", ns, "-o", "json", "--show-managed-fields").stdout)
    assert live["data"] == {"color": "green"}
    assert "kubectl-edit" in {m["manager"] for m in live["metadata"]["managedFields"]}
    assert os.path.exists(editor)


def test_eviction_is_refused_when_the_disruption_budget_has_no_room(cluster, ns, controller_manager):
    for name in ("a", "b"):
        running_pod(cluster, ns, name, "node-e", {"app": "guarded"})
    cluster.kubectl("create", "pdb", "guard", "-n", ns, "--selector=app=guarded", "--min-available=1")
    # The disruption controller computes the budget's room; the eviction reads it.
    cluster.kubectl(
        "wait", "pdb/guard", "-n", ns, "--for=jsonpath={.status.disruptionsAllowed}=1", "--timeout=30s"
    )
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"namespace": ns}}
    url = f"/api/v1/namespaces/{ns}/pods/%s/eviction"
    body["metadata"]["name"] = "a"
    cluster.kubectl("create", "--raw", url % "a", "-f", "-", input=json.dumps(body))
    body["metadata"]["name"] = "b"
    res = cluster.kubectl("create", "--raw", url % "b", "-f", "-", input=json.dumps(body), check=False)
    assert res.returncode != 0
    assert "Cannot evict pod as it would violate the pod's disruption budget." in res.stderr
    pods = json.loads(cluster.kubectl("get", "pods", "-n", ns, "-o", "json").stdout)["items"]
    assert [p["metadata"]["name"] for p in pods if p["metadata"].get("deletionTimestamp")] == ["a"]


@pytest.mark.parametrize("binary", [BINARIES[0], BINARIES[2]])
def test_drain_evicts_pods_through_the_eviction_subresource(cluster, ns, binary, controller_manager):
    node = "drain-" + ns
    create(cluster, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}})
    running_pod(cluster, ns, "only", node, {"app": "solo"})
    # A number, not maxUnavailable: the pod has no controller whose scale a percentage or
    # maxUnavailable could be taken from (Kubernetes would allow no disruption at all).
    cluster.kubectl("create", "pdb", "solo", "-n", ns, "--selector=app=solo", "--min-available=0")
    res = cluster.kubectl("drain", node, "--force", "--grace-period=0", "--timeout=20s", binary=binary)
    assert f"evicting pod {ns}/only" in res.stdout and f"node/{node} drained" in res.stdout
    assert cluster.kubectl("get", "pod/only", "-n", ns, check=False).returncode == 1
    node_obj = json.loads(cluster.kubectl("get", "node", node, "-o", "json").stdout)
    assert node_obj["spec"]["unschedulable"] is True


def test_eviction_of_an_unguarded_pod_deletes_it(cluster, ns):
    create(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "free", "namespace": ns},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        },
    )
    body = json.dumps(
        {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "free", "namespace": ns}}
    )
    out = cluster.kubectl(
        "create", "--raw", f"/api/v1/namespaces/{ns}/pods/free/eviction", "-f", "-", input=body
    ).stdout
    assert json.loads(out)["status"] == "Success"
    assert cluster.kubectl("get", "pod/free", "-n", ns, check=False).returncode == 1


def test_finalizers_hold_an_object_and_propagation_is_recorded(cluster, ns):
    create(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "held", "namespace": ns, "finalizers": ["example.com/hold"]},
        },
    )
    cluster.kubectl("delete", "cm/held", "-n", ns, "--wait=false", "--cascade=foreground")
    live = json.loads(cluster.kubectl("get", "cm/held", "-n", ns, "-o", "json").stdout)
    assert live["metadata"]["deletionTimestamp"]
    assert live["metadata"]["finalizers"] == ["example.com/hold", "foregroundDeletion"]
    cluster.kubectl(
        "patch", "cm/held", "-n", ns, "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]'
    )
    assert cluster.kubectl("get", "cm/held", "-n", ns, check=False).returncode == 1


def test_delete_preconditions_are_checked(cluster, ns):
    cluster.kubectl("create", "configmap", "pre", "-n", ns)
    body = json.dumps({"preconditions": {"uid": "not-the-uid"}})
    res = cluster.kubectl(
        "delete", "--raw", f"/api/v1/namespaces/{ns}/configmaps/pre", "-f", "-", input=body, check=False
    )
    assert res.returncode != 0 and "Precondition failed: UID in precondition: not-the-uid" in res.stderr


def test_get_sort_by_custom_columns_and_label_columns(cluster, ns):
    for name, size in (("c1", "3"), ("c2", "1"), ("c3", "2")):
        cluster.kubectl("create", "configmap", name, f"--from-literal=size={size}", "-n", ns)
        cluster.kubectl("label", "cm", name, f"size={size}", "-n", ns)
    out = cluster.kubectl("get", "cm", "-n", ns, "-l", "size", "--sort-by=.data.size").stdout
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["c2", "c3", "c1"]
    out = cluster.kubectl(
        "get", "cm", "-n", ns, "-l", "size", "-L", "size", "--sort-by=.metadata.name"
    ).stdout.splitlines()
    assert out[0].split() == ["NAME", "DATA", "AGE", "SIZE"]
    assert out[1].split()[-1] == "3"
    out = cluster.kubectl(
        "get", "cm", "-n", ns, "-l", "size", "-o", "custom-columns=N:.metadata.name,S:.data.size"
    ).stdout.splitlines()
    assert out[0].split() == ["N", "S"] and ["c1", "3"] in [line.split() for line in out]


@pytest.mark.parametrize("binary", [BINARIES[0], BINARIES[2]])
def test_replace_without_defaulted_fields_keeps_the_generation(cluster, ns, tmp_path, binary):
    # The manifest leaves out strategy, revisionHistoryLimit, progressDeadlineSeconds and the
    # container defaults; the server fills them in before comparing specs, as Kubernetes does.
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "same", "namespace": ns},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "same"}},
            "template": {
                "metadata": {"labels": {"app": "same"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }
    path = tmp_path / "same.json"
    path.write_text(json.dumps(manifest))
    cluster.kubectl("create", "-f", str(path), binary=binary)
    out = cluster.kubectl("replace", "-f", str(path), binary=binary).stdout
    assert out.strip() == "deployment.apps/same replaced"
    live = json.loads(cluster.kubectl("get", "deploy/same", "-n", ns, "-o", "json").stdout)
    assert live["metadata"]["generation"] == 1
    assert live["spec"]["revisionHistoryLimit"] == 10
    manifest["spec"]["replicas"] = 2
    path.write_text(json.dumps(manifest))
    cluster.kubectl("replace", "-f", str(path), binary=binary)
    live = json.loads(cluster.kubectl("get", "deploy/same", "-n", ns, "-o", "json").stdout)
    assert live["metadata"]["generation"] == 2
