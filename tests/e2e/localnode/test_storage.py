"""Storage and pod environment on the real local node through the real kubectl: a
StatefulSet's claims bound to volumes of the default StorageClass (local-path) whose data
outlives the pod, the service link variables a pod's containers get, and the eviction of a
pod whose emptyDir outgrew its sizeLimit.

One `kubelite up` on kubelite's own runtime for the module."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from kubelite.runtime.testing import missing_tools
from kubelite.server.testing import UpCluster, up_on_test_runtime
from kubelite.util.net import free_port
from kubelite.util.testing import wait_for


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, registry: str, pause_image: str) -> Iterator[UpCluster]:
    if os.geteuid() != 0:
        pytest.fail("the local-node e2e tests must run as root (runc, mounts, network namespaces)")
    if missing := missing_tools():
        pytest.fail(f"missing tools: {' '.join(missing)}")
    work = tmp_path_factory.mktemp("up-storage")
    # Ports of their own: 10250, 10257 and 10259 may be taken by another cluster on this
    # machine between up's check and the bind.
    args = ("--sync-frequency=2", "--eviction-monitoring-period=1", f"--port={free_port()}")
    ports = (
        f"--scheduler-arg=--secure-port={free_port()}",
        f"--controller-manager-arg=--secure-port={free_port()}",
    )
    with up_on_test_runtime("kubelite", work, registry, pause_image, kubelet_args=args, up_args=ports) as up:
        yield up


def _apply(cluster: UpCluster, obj: dict) -> None:
    cluster.kubectl("apply", "-f", "-", input=json.dumps(obj))


def _jsonpath(cluster: UpCluster, *what: str) -> str:
    return cluster.kubectl("get", *what[:-1], "-o", f"jsonpath={what[-1]}", check=False).stdout


def _wait(cluster: UpCluster, check, what: str, timeout: float = 90) -> None:
    try:
        wait_for(check, what, timeout=timeout, interval=0.3)
    except AssertionError:
        state = cluster.kubectl("get", "pods,pvc,pv", "-o", "wide", check=False).stdout
        events = cluster.kubectl("get", "events", check=False).stdout
        raise AssertionError(
            f"waiting for {what}\n{state}\n{events}\nkubelite up's log:\n{cluster.log()}"
        ) from None


def _running(cluster: UpCluster, pod: str, uid_not: str = "") -> bool:
    phase, uid = _jsonpath(cluster, "pod", pod, "{.status.phase} {.metadata.uid}").partition(" ")[::2]
    return phase == "Running" and uid != uid_not


def _statefulset(registry: str) -> dict:
    script = "mkdir -p /data && cat /data/log 2>/dev/null; echo $(hostname) >> /data/log; exec sleep 100000"
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "replicas": 1,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [
                        {
                            "name": "main",
                            "image": f"{registry}/busybox:latest",
                            "command": ["sh", "-c", script],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ],
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "64Mi"}},
                    },
                }
            ],
        },
    }


def test_a_statefulsets_claim_is_provisioned_bound_and_its_data_survives_the_pod(
    cluster: UpCluster, registry: str
):
    classes = cluster.kubectl("get", "storageclass").stdout.splitlines()
    assert classes[0].split() == [
        "NAME",
        "PROVISIONER",
        "RECLAIMPOLICY",
        "VOLUMEBINDINGMODE",
        "ALLOWVOLUMEEXPANSION",
        "AGE",
    ]
    assert classes[1].split()[:5] == [
        "local-path",
        "(default)",
        "kubelite.io/local-path",
        "Delete",
        "WaitForFirstConsumer",
    ]
    _apply(cluster, _statefulset(registry))
    _wait(cluster, lambda: _running(cluster, "db-0"), "db-0 to run with its volume")
    claim = json.loads(cluster.kubectl("get", "pvc", "data-db-0", "-o", "json").stdout)
    assert claim["status"]["phase"] == "Bound" and claim["spec"]["storageClassName"] == "local-path"
    assert claim["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    node = _jsonpath(cluster, "pod", "db-0", "{.spec.nodeName}")
    assert claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == node
    volume = claim["spec"]["volumeName"]
    pvc_table = cluster.kubectl("get", "pvc").stdout.splitlines()
    assert pvc_table[0].split() == [
        "NAME",
        "STATUS",
        "VOLUME",
        "CAPACITY",
        "ACCESS",
        "MODES",
        "STORAGECLASS",
        "VOLUMEATTRIBUTESCLASS",
        "AGE",
    ]
    assert pvc_table[1].split()[:7] == ["data-db-0", "Bound", volume, "64Mi", "RWO", "local-path", "<unset>"]
    pv_table = cluster.kubectl("get", "pv").stdout.splitlines()
    assert pv_table[0].split()[:8] == [
        "NAME",
        "CAPACITY",
        "ACCESS",
        "MODES",
        "RECLAIM",
        "POLICY",
        "STATUS",
        "CLAIM",
    ]
    assert pv_table[1].split()[:7] == [
        volume,
        "64Mi",
        "RWO",
        "Delete",
        "Bound",
        "default/data-db-0",
        "local-path",
    ]

    first_uid = _jsonpath(cluster, "pod", "db-0", "{.metadata.uid}")
    cluster.kubectl("delete", "pod", "db-0", "--wait=false")
    _wait(cluster, lambda: _running(cluster, "db-0", uid_not=first_uid), "db-0 to be recreated")
    log = cluster.kubectl("exec", "db-0", "--", "cat", "/data/log").stdout.split()
    assert log == ["db-0", "db-0"]  # the first pod's line, then the second's

    # A claim in use stays while its pod runs (pvc-protection); removing both frees the volume,
    # which the Delete policy removes.
    cluster.kubectl("delete", "pvc", "data-db-0", "--wait=false")
    assert _jsonpath(cluster, "pvc", "data-db-0", "{.metadata.deletionTimestamp}")
    cluster.kubectl("delete", "statefulset", "db", "--wait=false")
    _wait(
        cluster, lambda: cluster.kubectl("get", "pv", volume, check=False).returncode != 0, "the volume to go"
    )


def test_containers_get_service_link_variables_of_their_namespace_and_the_master_service(
    cluster: UpCluster, registry: str
):
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web-front"},
        "spec": {"selector": {"app": "none"}, "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]},
    }
    _apply(cluster, service)
    ip = _jsonpath(cluster, "service", "web-front", "{.spec.clusterIP}")
    master = _jsonpath(cluster, "service", "kubernetes", "{.spec.clusterIP}")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "links"},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "main",
                    "image": f"{registry}/busybox:latest",
                    "command": ["sh", "-c", "exec sleep 100000"],
                    "env": [
                        {"name": "FRONT", "value": "$(WEB_FRONT_SERVICE_HOST):$(WEB_FRONT_SERVICE_PORT_HTTP)"}
                    ],
                }
            ],
        },
    }
    _apply(cluster, pod)
    _wait(cluster, lambda: _running(cluster, "links"), "the pod to run")
    env = dict(
        line.split("=", 1)
        for line in cluster.kubectl("exec", "links", "--", "env").stdout.splitlines()
        if "=" in line
    )
    assert env["WEB_FRONT_SERVICE_HOST"] == ip and env["WEB_FRONT_SERVICE_PORT"] == "8080"
    assert env["WEB_FRONT_PORT_8080_TCP"] == f"tcp://{ip}:8080" and env["FRONT"] == f"{ip}:8080"
    assert env["KUBERNETES_SERVICE_HOST"] == master and env["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"


def test_a_pod_writing_past_its_empty_dir_size_limit_is_evicted(cluster: UpCluster, registry: str):
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "hog"},
        "spec": {
            "restartPolicy": "Always",
            "containers": [
                {
                    "name": "main",
                    "image": f"{registry}/busybox:latest",
                    "command": [
                        "sh",
                        "-c",
                        "dd if=/dev/zero of=/scratch/fill bs=1024 count=3072; exec sleep 100000",
                    ],
                    "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
                }
            ],
            "volumes": [{"name": "scratch", "emptyDir": {"sizeLimit": "1Mi"}}],
        },
    }
    _apply(cluster, pod)
    _wait(
        cluster,
        lambda: _jsonpath(cluster, "pod", "hog", "{.status.phase}") == "Failed",
        "the pod to be evicted",
    )
    status = json.loads(cluster.kubectl("get", "pod", "hog", "-o", "json").stdout)["status"]
    assert status["reason"] == "Evicted"
    assert status["message"] == 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". '
    assert all("terminated" in c["state"] for c in status["containerStatuses"])
    events = cluster.kubectl(
        "get", "events", "--field-selector", "involvedObject.name=hog,reason=Evicted"
    ).stdout
    assert "exceeds the limit" in events


def test_fs_group_owns_the_pods_volumes_and_joins_its_groups(cluster: UpCluster, registry: str):
    cluster.kubectl("create", "configmap", "owned", "--from-literal=key=value")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "owned"},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "securityContext": {"runAsUser": 1000, "fsGroup": 2000},
            "containers": [
                {
                    "name": "main",
                    "image": f"{registry}/busybox:latest",
                    "command": ["sh", "-c", "exec sleep 100000"],
                    "volumeMounts": [
                        {"name": "scratch", "mountPath": "/scratch"},
                        {"name": "cfg", "mountPath": "/cfg"},
                    ],
                }
            ],
            "volumes": [{"name": "scratch", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "owned"}}],
        },
    }
    _apply(cluster, pod)
    _wait(cluster, lambda: _running(cluster, "owned"), "the pod to run")

    def sh(script: str) -> str:
        return cluster.kubectl("exec", "owned", "--", "sh", "-c", script).stdout.strip()

    assert "2000" in sh("id -G").split()
    assert sh("stat -c '%g %A' /scratch") == "2000 drwxrwsrwx"
    assert sh("touch /scratch/new && stat -c '%u %g' /scratch/new") == "1000 2000"
    assert sh("stat -L -c '%g' /cfg/key") == "2000"


def test_kubectl_debug_adds_an_ephemeral_container_and_attaches_to_it(cluster: UpCluster, registry: str):
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debuggee"},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {"name": "main", "image": f"{registry}/busybox:latest", "command": ["sleep", "100000"]}
            ],
        },
    }
    _apply(cluster, pod)
    _wait(cluster, lambda: _running(cluster, "debuggee"), "the pod to run")
    image = f"{registry}/busybox:latest"
    out = cluster.kubectl(
        "debug",
        "-i",
        "debuggee",
        f"--image={image}",
        "--target=main",
        "-c",
        "dbg",
        "--",
        "sh",
        input="echo hello-$((40+2))\nexit 0\n",
        timeout=90,
    )
    assert "hello-42" in out.stdout
    spec = json.loads(cluster.kubectl("get", "pod", "debuggee", "-o", "json").stdout)
    [ephemeral] = spec["spec"]["ephemeralContainers"]
    assert ephemeral["name"] == "dbg" and ephemeral["targetContainerName"] == "main"
    [status] = spec["status"]["ephemeralContainerStatuses"]
    assert status["name"] == "dbg" and ("running" in status["state"] or "terminated" in status["state"])
    # Existing ephemeral containers cannot be removed.
    spec["metadata"].pop("resourceVersion")  # the kubelet writes the status meanwhile
    refused = cluster.kubectl(
        "replace",
        "--subresource=ephemeralcontainers",
        "-f",
        "-",
        input=json.dumps({**spec, "spec": {**spec["spec"], "ephemeralContainers": []}}),
        check=False,
    )
    assert (
        refused.returncode != 0 and 'existing ephemeral containers "dbg" may not be removed' in refused.stderr
    )
