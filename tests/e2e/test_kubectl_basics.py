"""The real kubectl against a real kubelite API server: what a user types and sees."""

from __future__ import annotations

import json
import socket
import subprocess
import uuid

import pytest
import yaml

from kubelite.server.testing import LocalCluster
from kubelite.util.testing import Lines, wait_for

KUBECTL_DIR = "/usr/lib/google-cloud-sdk/bin"


@pytest.fixture
def ns(cluster: LocalCluster):
    name = "t-" + uuid.uuid4().hex[:8]
    cluster.kubectl("create", "namespace", name)
    yield name


def test_version_reports_the_kubernetes_release_kubelite_implements(cluster):
    out = cluster.kubectl("version", "-o", "json").stdout
    server = json.loads(out)["serverVersion"]
    assert server["major"] == "1" and server["minor"] == "32"
    assert server["gitVersion"].startswith("v1.32.")


def test_api_resources_lists_served_kinds_with_short_names(cluster):
    out = cluster.kubectl("api-resources").stdout
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "po" in lines["pods"].split()
    assert "deploy" in lines["deployments"].split()
    assert "apps/v1" in lines["deployments"]
    for name in (
        "leases",
        "endpointslices",
        "poddisruptionbudgets",
        "priorityclasses",
        "clusterroles",
        "cronjobs",
        "networkpolicies",
    ):
        assert name in lines
    assert "couldn't get resource list" not in cluster.kubectl("api-resources").stderr


def test_get_namespaces_prints_the_kubernetes_table(cluster):
    out = cluster.kubectl("get", "namespaces").stdout
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "STATUS", "AGE"]
    names = {r.split()[0]: r.split()[1] for r in rows}
    for system in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert names[system] == "Active"


def test_create_from_file_then_get_in_every_output_format(cluster, ns, tmp_path):
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "settings", "labels": {"app": "web"}},
                "data": {"color": "blue"},
            }
        )
    )
    out = cluster.kubectl("create", "-n", ns, "-f", str(manifest)).stdout
    assert out.strip() == "configmap/settings created"

    table = cluster.kubectl("get", "configmaps", "-n", ns).stdout.splitlines()
    assert table[0].split() == ["NAME", "DATA", "AGE"]
    assert any(r.split()[:2] == ["settings", "1"] for r in table[1:])

    obj = json.loads(cluster.kubectl("get", "cm", "settings", "-n", ns, "-o", "json").stdout)
    assert obj["data"] == {"color": "blue"}
    assert obj["metadata"]["uid"] and obj["metadata"]["resourceVersion"].isdigit()
    assert obj["metadata"]["creationTimestamp"].endswith("Z")

    as_yaml = yaml.safe_load(cluster.kubectl("get", "cm/settings", "-n", ns, "-o", "yaml").stdout)
    assert as_yaml["metadata"]["labels"] == {"app": "web"}

    assert cluster.kubectl("get", "cm", "-n", ns, "-o", "name").stdout.strip() == "configmap/settings"
    wide = cluster.kubectl("get", "cm", "-n", ns, "-o", "wide", "--show-labels").stdout
    assert "app=web" in wide
    path = cluster.kubectl("get", "cm", "settings", "-n", ns, "-o", "jsonpath={.data.color}").stdout
    assert path == "blue"


def test_get_all_namespaces_fills_the_namespace_column(cluster, ns):
    cluster.kubectl("create", "configmap", "one", "-n", ns, "--from-literal=a=b")
    out = cluster.kubectl("get", "configmaps", "-A").stdout.splitlines()
    assert out[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert any(line.split()[:2] == [ns, "one"] for line in out[1:])


def test_chunked_list_follows_continue_tokens(cluster, ns):
    for i in range(12):
        cluster.kubectl("create", "configmap", f"c{i:02d}", "-n", ns, "--from-literal=k=v")
    out = cluster.kubectl("get", "configmaps", "-n", ns, "--chunk-size=5", "-o", "name").stdout.split()
    assert out == [f"configmap/c{i:02d}" for i in range(12)]
    rows = cluster.kubectl("get", "configmaps", "-n", ns, "--chunk-size=5").stdout.splitlines()
    assert len(rows) == 13


@pytest.mark.parametrize("binary", ["kubectl", f"{KUBECTL_DIR}/kubectl.1.27", f"{KUBECTL_DIR}/kubectl.1.33"])
def test_create_generators(cluster, binary):
    name = "g-" + uuid.uuid4().hex[:6]
    cluster.kubectl("create", "namespace", name, binary=binary)
    cluster.kubectl("create", "configmap", "cfg", "-n", name, "--from-literal=a=1", binary=binary)
    cluster.kubectl("create", "secret", "generic", "pw", "-n", name, "--from-literal=p=s3cret", binary=binary)
    cluster.kubectl(
        "create", "deployment", "web", "-n", name, "--image=busybox", "--replicas=2", binary=binary
    )
    cluster.kubectl("create", "service", "clusterip", "web", "-n", name, "--tcp=80:8080", binary=binary)
    dep = json.loads(cluster.kubectl("get", "deploy", "web", "-n", name, "-o", "json").stdout)
    assert dep["spec"]["replicas"] == 2
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox"
    # Defaults Kubernetes applies.
    assert dep["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": "25%"}
    assert dep["metadata"]["generation"] == 1
    secret = json.loads(cluster.kubectl("get", "secret", "pw", "-n", name, "-o", "json").stdout)
    assert secret["type"] == "Opaque"
    svc = json.loads(cluster.kubectl("get", "svc", "web", "-n", name, "-o", "json").stdout)
    assert svc["spec"]["clusterIP"].startswith("10.")
    assert svc["spec"]["ports"][0]["targetPort"] == 8080


def test_replace_updates_and_bumps_generation_only_on_spec_change(cluster, ns, tmp_path):
    cluster.kubectl("create", "deployment", "app", "-n", ns, "--image=busybox")
    obj = json.loads(cluster.kubectl("get", "deploy", "app", "-n", ns, "-o", "json").stdout)
    obj["metadata"].setdefault("labels", {})["tier"] = "backend"
    f = tmp_path / "d.json"
    f.write_text(json.dumps(obj))
    cluster.kubectl("replace", "-f", str(f))
    after = json.loads(cluster.kubectl("get", "deploy", "app", "-n", ns, "-o", "json").stdout)
    assert after["metadata"]["labels"]["tier"] == "backend"
    assert after["metadata"]["generation"] == 1

    after["spec"]["replicas"] = 3
    f.write_text(json.dumps(after))
    cluster.kubectl("replace", "-f", str(f))
    final = json.loads(cluster.kubectl("get", "deploy", "app", "-n", ns, "-o", "json").stdout)
    assert final["spec"]["replicas"] == 3 and final["metadata"]["generation"] == 2


def test_replace_with_a_stale_resource_version_is_a_conflict(cluster, ns, tmp_path):
    cluster.kubectl("create", "configmap", "c", "-n", ns, "--from-literal=a=1")
    stale = json.loads(cluster.kubectl("get", "cm", "c", "-n", ns, "-o", "json").stdout)
    cluster.kubectl("label", "cm", "c", "-n", ns, "x=y")
    stale["data"]["a"] = "2"
    f = tmp_path / "c.json"
    f.write_text(json.dumps(stale))
    r = cluster.kubectl("replace", "-f", str(f), check=False)
    assert r.returncode != 0
    assert (
        "Error from server (Conflict): error when replacing" in r.stderr
        and 'Operation cannot be fulfilled on configmaps "c": the object has been modified; '
        "please apply your changes to the latest version and try again"
        in r.stderr
    )


def test_label_and_annotate(cluster, ns):
    cluster.kubectl("create", "configmap", "c", "-n", ns, "--from-literal=a=1")
    assert "labeled" in cluster.kubectl("label", "cm", "c", "-n", ns, "env=prod").stdout
    assert "annotated" in cluster.kubectl("annotate", "cm", "c", "-n", ns, "note=hello").stdout
    obj = json.loads(cluster.kubectl("get", "cm", "c", "-n", ns, "-o", "json").stdout)
    assert obj["metadata"]["labels"] == {"env": "prod"}
    assert obj["metadata"]["annotations"]["note"] == "hello"
    r = cluster.kubectl("label", "cm", "c", "-n", ns, "env=dev", check=False)
    assert r.returncode != 0 and "already has a value (prod)" in r.stderr
    cluster.kubectl("label", "cm", "c", "-n", ns, "env-")
    obj = json.loads(cluster.kubectl("get", "cm", "c", "-n", ns, "-o", "json").stdout)
    assert "env" not in (obj["metadata"].get("labels") or {})
    selected = cluster.kubectl("get", "cm", "-n", ns, "-l", "env", "-o", "name").stdout
    assert selected.strip() == ""


def test_delete_then_get_is_not_found(cluster, ns):
    cluster.kubectl("create", "configmap", "gone", "-n", ns, "--from-literal=a=1")
    assert cluster.kubectl("delete", "cm", "gone", "-n", ns).stdout.strip() == 'configmap "gone" deleted'
    r = cluster.kubectl("get", "cm", "gone", "-n", ns, check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == 'Error from server (NotFound): configmaps "gone" not found'


def test_invalid_objects_get_field_errors(cluster, ns, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "bad"},
                "spec": {
                    "replicas": -1,
                    "selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c"}]}},
                },
            }
        )
    )
    r = cluster.kubectl("create", "-n", ns, "-f", str(bad), check=False)
    assert r.returncode == 1
    assert 'The Deployment "bad" is invalid' in r.stderr
    assert "spec.replicas: Invalid value: -1: must be greater than or equal to 0" in r.stderr
    assert "spec.template.spec.containers[0].image: Required value" in r.stderr

    pod = tmp_path / "pod.yaml"
    pod.write_text(
        yaml.safe_dump(
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}}
        )
    )
    r = cluster.kubectl("create", "-n", ns, "-f", str(pod), check=False)
    assert r.returncode == 1 and "spec.containers: Required value" in r.stderr


def test_create_existing_name_is_already_exists(cluster, ns, tmp_path):
    cluster.kubectl("create", "configmap", "dup", "-n", ns)
    r = cluster.kubectl("create", "configmap", "dup", "-n", ns, check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == 'error: failed to create configmap: configmaps "dup" already exists'
    f = tmp_path / "dup.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n")
    r = cluster.kubectl("create", "-n", ns, "-f", str(f), check=False)
    assert r.returncode == 1
    assert "Error from server (AlreadyExists): error when creating" in r.stderr
    assert 'configmaps "dup" already exists' in r.stderr


def test_create_in_missing_namespace_is_not_found(cluster):
    r = cluster.kubectl("create", "configmap", "x", "-n", "no-such-namespace", check=False)
    assert r.returncode == 1
    assert 'namespaces "no-such-namespace" not found' in r.stderr


def test_get_watch_prints_changes_as_they_happen(cluster, ns):
    cluster.kubectl("create", "configmap", "w", "-n", ns, "--from-literal=a=1")
    # -v=6: kubectl logs each response it gets, the watch's among them once it is established.
    proc = subprocess.Popen(
        [
            "kubectl",
            "get",
            "configmaps",
            "-n",
            ns,
            "-w",
            "--output-watch-events",
            "-v=6",
            "--request-timeout=20s",
        ],
        env=cluster.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        out, log = Lines(proc.stdout), Lines(proc.stderr)
        log.wait_for(lambda line: "watch=true" in line and "200 OK" in line, "kubectl's watch")
        cluster.kubectl("label", "cm", "w", "-n", ns, "k=v")
        cluster.kubectl("delete", "cm", "w", "-n", ns)
        out.wait_for(lambda line: "DELETED" in line, "kubectl to print the deletion", timeout=15)
    finally:
        proc.kill()
    events = [line.split()[:2] for line in out.lines if line.strip() and not line.startswith("EVENT")]
    assert ["ADDED", "w"] in events
    assert ["MODIFIED", "w"] in events
    assert ["DELETED", "w"] in events


def test_deleting_a_namespace_deletes_its_content(cluster, controller_manager):
    name = "del-" + uuid.uuid4().hex[:6]
    cluster.kubectl("create", "namespace", name)
    cluster.kubectl("create", "configmap", "a", "-n", name)
    cluster.kubectl("create", "deployment", "d", "-n", name, "--image=busybox")
    cluster.kubectl("delete", "namespace", name, "--timeout=60s")
    r = cluster.kubectl("get", "namespace", name, check=False)
    assert r.returncode == 1 and "not found" in r.stderr
    cluster.kubectl("create", "namespace", name)
    assert cluster.kubectl("get", "cm,deploy", "-n", name, "-o", "name").stdout.strip() == ""


def test_explain_walks_the_served_openapi_with_descriptions(cluster):
    out = cluster.kubectl("explain", "deployment.spec.strategy.rollingUpdate").stdout
    assert "KIND:       Deployment" in out and "VERSION:    v1" in out
    assert "maxSurge" in out and "maxUnavailable" in out
    pods = cluster.kubectl("explain", "pods.spec.containers.livenessProbe.httpGet").stdout
    assert "FIELD: httpGet <HTTPGetAction>" in pods and "port" in pods


def test_deployments_print_kubernetes_columns_and_wide_columns(cluster, ns):
    cluster.kubectl("create", "deployment", "web", "-n", ns, "--image=nginx:1.25", "--replicas=2")
    header, row = cluster.kubectl("get", "deploy", "-n", ns, "-o", "wide").stdout.splitlines()
    assert header.split() == [
        "NAME",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ]
    cells = row.split()
    assert cells[:4] == ["web", "0/2", "0", "0"] and cells[-3:] == ["nginx", "nginx:1.25", "app=web"]


def _answers(port: int) -> bool:
    """Something listens on 127.0.0.1:port (another cluster's component may, on this machine)."""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_componentstatuses_report_what_is_running(cluster):
    # This cluster runs no scheduler or controller manager, but the API server probes the
    # machine's standard ports (10259, 10257), as kube-apiserver does, where another
    # cluster's may run: a row must say Unhealthy when nothing was there while kubectl asked.
    ports = {"scheduler": 10259, "controller-manager": 10257}
    seen: dict[str, object] = {}

    def steady() -> bool:
        before = {name: _answers(port) for name, port in ports.items()}
        out = cluster.kubectl("get", "componentstatuses").stdout.splitlines()
        after = {name: _answers(port) for name, port in ports.items()}
        seen.update(before=before, out=out)
        return before == after

    wait_for(steady, "the standard ports to keep still while kubectl asks", timeout=30, interval=0.5)
    out = seen["out"]
    assert isinstance(out, list) and out[0].split()[:3] == ["NAME", "STATUS", "MESSAGE"]
    rows = {line.split()[0]: line.split()[1] for line in out[1:]}
    assert rows["etcd-0"] == "Healthy"
    before = seen["before"]
    assert isinstance(before, dict)
    for name in ports:  # nothing there: Unhealthy; another cluster's (maybe starting): either
        assert rows[name] in (("Healthy", "Unhealthy") if before[name] else ("Unhealthy",)), (name, out)
    if not before["scheduler"]:
        assert "connect: connection refused" in cluster.kubectl("get", "cs", "scheduler").stdout


# kubectl 1.27 and 1.28 download the protobuf /openapi/v2 document before `create -f`.
@pytest.mark.parametrize("binary", [f"{KUBECTL_DIR}/kubectl.1.{v}" for v in (27, 28, 33)])
def test_older_and_newest_kubectl_get_create_delete(cluster, binary, tmp_path):
    name = "v-" + uuid.uuid4().hex[:6]
    f = tmp_path / "cm.yaml"
    f.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: b\n")
    assert (
        cluster.kubectl("create", "-f", str(f), binary=binary).stdout.strip() == f"configmap/{name} created"
    )
    rows = cluster.kubectl("get", "cm", name, binary=binary).stdout.splitlines()
    assert rows[0].split() == ["NAME", "DATA", "AGE"] and rows[1].split()[:2] == [name, "1"]
    assert (
        cluster.kubectl("delete", "-f", str(f), binary=binary).stdout.strip() == f'configmap "{name}" deleted'
    )
