"""Volumes on the real local node, through the real kubectl: the service account token a
pod reads and calls the API server with, configMap and downwardAPI files following their
sources, secrets with items and modes, an emptyDir shared by two containers, and a missing
configMap holding a pod back with Kubernetes' FailedMount event."""

from __future__ import annotations

import base64
import json

import pytest

from kubelite.server.testing import UpCluster
from kubelite.util.testing import wait_for

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# busybox's wget speaks HTTPS through `openssl s_client` when it finds one; its built-in TLS
# cannot agree on a handshake with the API server's. The node's openssl and libraries come
# in through read-only hostPath volumes (which checks their types on the way).
_OPENSSL_MOUNTS = [
    ("openssl", "/usr/bin/openssl"),
    ("libs", "/usr/lib"),
    ("libs", "/lib"),
    ("lib64", "/lib64"),
]


def _busybox(registry: str, name: str, script: str, **extra: object) -> dict:
    return {"name": name, "image": f"{registry}/busybox:latest", "command": ["sh", "-c", script], **extra}


def _apply(cluster: UpCluster, obj: dict) -> None:
    cluster.kubectl("apply", "-f", "-", input=json.dumps(obj))


def _wait_running(cluster: UpCluster, name: str) -> None:
    def running() -> bool:
        r = cluster.kubectl("get", "pod", name, "-o", "jsonpath={.status.phase}", check=False)
        return r.stdout == "Running"

    try:
        wait_for(running, f"pod {name} to run", timeout=90, interval=0.3)
    except AssertionError:
        pod = cluster.kubectl("get", "pod", name, "-o", "yaml", check=False).stdout
        events = cluster.kubectl("get", "events", check=False).stdout
        raise AssertionError(f"{pod}\n{events}\nkubelite up's log:\n{cluster.log()}") from None


def _exec(cluster: UpCluster, pod: str, *cmd: str, container: str = "main") -> str:
    return cluster.kubectl("exec", pod, "-c", container, "--", *cmd).stdout


def _wait_default_account(cluster: UpCluster) -> None:
    wait_for(
        lambda: (
            cluster.kubectl("get", "serviceaccount", "default", check=False).returncode == 0
            and cluster.kubectl("get", "configmap", "kube-root-ca.crt", check=False).returncode == 0
        ),
        "the default service account and kube-root-ca.crt",
        timeout=60,
        interval=0.3,
    )


def test_a_pod_calls_the_api_server_with_its_projected_token_from_inside_its_container(
    cluster: UpCluster, registry: str, tmp_path
):
    _wait_default_account(cluster)
    review = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    script = (
        f'wget -q -O - --no-check-certificate --header "Authorization: Bearer $(cat {SA_DIR}/token)" '
        f"--header 'Content-Type: application/json' --post-data '{review}' "
        f"https://127.0.0.1:{cluster.port}/apis/authentication.k8s.io/v1/selfsubjectreviews "
        "> /tmp/review 2> /tmp/error; echo done > /tmp/finished; exec sleep 100000"
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "token-caller"},
        "spec": {
            "hostNetwork": True,  # the API server listens on the node's 127.0.0.1
            "terminationGracePeriodSeconds": 1,
            "containers": [
                _busybox(
                    registry,
                    "main",
                    script,
                    env=[{"name": "PATH", "value": "/bin:/usr/bin"}],
                    volumeMounts=[{"name": n, "mountPath": p, "readOnly": True} for n, p in _OPENSSL_MOUNTS],
                )
            ],
            "volumes": [
                {"name": "openssl", "hostPath": {"path": "/usr/bin/openssl", "type": "File"}},
                {"name": "libs", "hostPath": {"path": "/usr/lib", "type": "Directory"}},
                {"name": "lib64", "hostPath": {"path": "/usr/lib64", "type": "Directory"}},
            ],
        },
    }
    _apply(cluster, pod)
    _wait_running(cluster, "token-caller")
    wait_for(
        lambda: (
            cluster.kubectl("exec", "token-caller", "--", "cat", "/tmp/finished", check=False).returncode == 0
        ),
        "the pod's call to the API server",
        timeout=30,
        interval=0.3,
    )
    body = _exec(cluster, "token-caller", "cat", "/tmp/review")
    assert body, _exec(cluster, "token-caller", "cat", "/tmp/error")
    answer = json.loads(body)
    assert answer["status"]["userInfo"]["username"] == "system:serviceaccount:default:default"
    token = _exec(cluster, "token-caller", "cat", f"{SA_DIR}/token")
    assert _exec(cluster, "token-caller", "cat", f"{SA_DIR}/namespace") == "default"
    ca = cluster.kubectl("get", "configmap", "kube-root-ca.crt", "-o", "jsonpath={.data.ca\\.crt}").stdout
    pod_ca = _exec(cluster, "token-caller", "cat", f"{SA_DIR}/ca.crt")
    assert pod_ca == ca
    # The pod's token and CA, and nothing else, with the real kubectl (verifying the server).
    ca_file = tmp_path / "ca.crt"
    ca_file.write_text(pod_ca)
    whoami = cluster.kubectl(
        "--kubeconfig=/dev/null",
        f"--server=https://127.0.0.1:{cluster.port}",
        f"--certificate-authority={ca_file}",
        f"--token={token}",
        "auth",
        "whoami",
        "-o",
        "jsonpath={.status.userInfo.username}",
    )
    assert whoami.stdout == "system:serviceaccount:default:default"
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["kubernetes.io"]["pod"]["name"] == "token-caller"


@pytest.fixture(scope="module")
def vols(cluster: UpCluster, registry: str) -> UpCluster:
    """One pod with a configMap, a secret with items and modes, a downwardAPI volume and an
    emptyDir its two containers share."""
    _wait_default_account(cluster)
    _apply(
        cluster,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"greeting": "v1"}},
    )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds"},
        "stringData": {"password": "hunter2", "unused": "x"},
    }
    _apply(cluster, secret)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "vols", "labels": {"tier": "one"}},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "volumes": [
                {"name": "cfg", "configMap": {"name": "app"}},
                {
                    "name": "sec",
                    "secret": {
                        "secretName": "creds",
                        "items": [{"key": "password", "path": "db/pw", "mode": 0o400}],
                    },
                },
                {
                    "name": "info",
                    "downwardAPI": {
                        "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
                    },
                },
                {"name": "shared", "emptyDir": {}},
            ],
            "containers": [
                _busybox(
                    registry,
                    "main",
                    "exec sleep 100000",
                    volumeMounts=[
                        {"name": "cfg", "mountPath": "/etc/app"},
                        {"name": "sec", "mountPath": "/etc/creds"},
                        {"name": "info", "mountPath": "/etc/podinfo"},
                        {"name": "shared", "mountPath": "/data"},
                    ],
                ),
                _busybox(
                    registry,
                    "writer",
                    "echo from-writer > /out/note; exec sleep 100000",
                    volumeMounts=[{"name": "shared", "mountPath": "/out"}],
                ),
            ],
        },
    }
    _apply(cluster, pod)
    _wait_running(cluster, "vols")
    return cluster


def test_a_config_map_volume_shows_the_new_content_after_the_config_map_is_applied(vols: UpCluster):
    assert _exec(vols, "vols", "cat", "/etc/app/greeting") == "v1"
    _apply(
        vols,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"greeting": "v2"}},
    )
    wait_for(
        lambda: _exec(vols, "vols", "cat", "/etc/app/greeting") == "v2",
        "the new configMap content in the running pod",
        timeout=30,
        interval=0.5,
    )
    with pytest.raises(AssertionError, match="Read-only file system"):
        _exec(vols, "vols", "sh", "-c", "echo x > /etc/app/greeting")


def test_a_secret_volume_holds_only_its_items_with_their_mode(vols: UpCluster):
    assert _exec(vols, "vols", "cat", "/etc/creds/db/pw") == "hunter2"
    assert _exec(vols, "vols", "stat", "-L", "-c", "%a", "/etc/creds/db/pw").strip() == "400"
    assert _exec(vols, "vols", "ls", "/etc/creds").split() == ["db"]
    assert "tmpfs /etc/creds tmpfs ro," in _exec(vols, "vols", "cat", "/proc/mounts")  # never on disk


def test_an_empty_dir_is_shared_by_the_pods_containers(vols: UpCluster):
    wait_for(
        lambda: (
            vols.kubectl("exec", "vols", "-c", "main", "--", "cat", "/data/note", check=False).stdout
            == "from-writer\n"
        ),
        "the writer's file in the main container",
        timeout=30,
        interval=0.3,
    )


def test_a_downward_api_labels_file_follows_kubectl_label(vols: UpCluster):
    assert _exec(vols, "vols", "cat", "/etc/podinfo/labels") == 'tier="one"'
    vols.kubectl("label", "pod", "vols", "color=blue")
    wait_for(
        lambda: _exec(vols, "vols", "cat", "/etc/podinfo/labels") == 'color="blue"\ntier="one"',
        "the new label in the downwardAPI file",
        timeout=30,
        interval=0.5,
    )


def test_a_pod_whose_config_map_is_missing_waits_with_a_failed_mount_event(cluster: UpCluster, registry: str):
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "no-config"},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "volumes": [{"name": "cfg", "configMap": {"name": "absent"}}],
            "containers": [
                _busybox(
                    registry, "main", "exec sleep 100000", volumeMounts=[{"name": "cfg", "mountPath": "/c"}]
                )
            ],
        },
    }
    _apply(cluster, pod)
    message = 'MountVolume.SetUp failed for volume "cfg" : configmap "absent" not found'

    def failed_mount() -> bool:
        r = cluster.kubectl(
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=no-config,reason=FailedMount",
            "-o",
            "json",
        )
        return any(e["message"] == message for e in json.loads(r.stdout)["items"])

    wait_for(failed_mount, "the FailedMount event", timeout=60, interval=0.5)
    phase = cluster.kubectl("get", "pod", "no-config", "-o", "jsonpath={.status.phase}").stdout
    assert phase == "Pending"
    _apply(
        cluster, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "absent"}, "data": {"k": "v"}}
    )
    _wait_running(cluster, "no-config")


def test_env_comes_from_a_secret_a_config_map_with_a_prefix_and_the_containers_limits(
    vols: UpCluster, registry: str
):
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "env-pod"},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [
                _busybox(
                    registry,
                    "main",
                    "exec sleep 100000",
                    resources={"limits": {"memory": "64Mi"}},
                    envFrom=[{"configMapRef": {"name": "app"}, "prefix": "APP_"}],
                    env=[
                        {
                            "name": "DB_PASSWORD",
                            "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}},
                        },
                        {
                            "name": "MEM_MI",
                            "valueFrom": {
                                "resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}
                            },
                        },
                        {"name": "GREETING", "value": "say $(APP_greeting)"},
                    ],
                )
            ],
        },
    }
    _apply(vols, pod)
    _wait_running(vols, "env-pod")
    env = dict(line.split("=", 1) for line in _exec(vols, "env-pod", "env").splitlines() if "=" in line)
    assert env["DB_PASSWORD"] == "hunter2" and env["MEM_MI"] == "64"
    assert env["APP_greeting"] in ("v1", "v2") and env["GREETING"] == f"say {env['APP_greeting']}"


def test_a_memory_empty_dir_is_a_tmpfs_limited_to_its_size_and_a_deleted_pods_volumes_go(
    cluster: UpCluster, registry: str
):
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "scratch"},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "volumes": [{"name": "ram", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}],
            "containers": [
                _busybox(
                    registry, "main", "exec sleep 100000", volumeMounts=[{"name": "ram", "mountPath": "/ram"}]
                )
            ],
        },
    }
    _apply(cluster, pod)
    _wait_running(cluster, "scratch")
    assert "tmpfs /ram tmpfs" in _exec(cluster, "scratch", "cat", "/proc/mounts")
    _exec(cluster, "scratch", "dd", "if=/dev/zero", "of=/ram/small", "bs=1k", "count=512")
    full = cluster.kubectl(
        "exec", "scratch", "--", "dd", "if=/dev/zero", "of=/ram/big", "bs=1k", "count=2048", check=False
    )
    assert full.returncode != 0 and "No space left on device" in full.stderr
    uid = cluster.kubectl("get", "pod", "scratch", "-o", "jsonpath={.metadata.uid}").stdout
    pod_dir = cluster.data_dir / "kubelet" / "pods" / uid
    assert (pod_dir / "volumes" / "kubernetes.io~empty-dir" / "ram").is_dir()
    cluster.kubectl("delete", "pod", "scratch", "--wait=true")
    wait_for(
        lambda: not pod_dir.exists(), "the deleted pod's volumes to be removed", timeout=30, interval=0.3
    )
    with open("/proc/mounts") as f:
        assert str(pod_dir) not in f.read()
