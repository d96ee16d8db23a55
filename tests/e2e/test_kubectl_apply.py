"""`kubectl apply` (client-side and server-side), diff, dry-run and field validation,
with the default kubectl and the newest and oldest versioned binaries."""

from __future__ import annotations

import json
import uuid

import pytest
import yaml

KUBECTL_DIR = "/usr/lib/google-cloud-sdk/bin"
DEFAULT, NEWEST, OLDEST = "kubectl", f"{KUBECTL_DIR}/kubectl.1.33", f"{KUBECTL_DIR}/kubectl.1.27"
BINARIES = [DEFAULT, NEWEST]


@pytest.fixture
def ns(cluster):
    name = "a-" + uuid.uuid4().hex[:8]
    cluster.kubectl("create", "namespace", name)
    return name


def deployment(
    name: str, *, replicas: int = 2, env: dict[str, str] | None = None, labels: dict[str, str] | None = None
) -> dict:
    env = {"A": "1", "B": "2"} if env is None else env
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels or {"app": name, "tier": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "nginx:1.27",
                            "env": [{"name": k, "value": v} for k, v in env.items()],
                        }
                    ]
                },
            },
        },
    }


def get(cluster, ns: str, what: str) -> dict:
    out = cluster.kubectl("get", what, "-n", ns, "-o", "json", "--show-managed-fields").stdout
    return json.loads(out)


def apply_file(cluster, tmp_path, ns, obj, binary, *extra, check=True):
    path = tmp_path / f"{obj['metadata']['name']}.yaml"
    path.write_text(yaml.safe_dump(obj))
    return cluster.kubectl("apply", "-n", ns, "-f", str(path), *extra, binary=binary, check=check)


@pytest.mark.parametrize("binary", [*BINARIES, OLDEST])
def test_client_side_apply_follows_the_file_and_keeps_fields_set_by_others(cluster, ns, tmp_path, binary):
    d = deployment("web")
    assert apply_file(cluster, tmp_path, ns, d, binary).stdout.strip() == "deployment.apps/web created"
    assert apply_file(cluster, tmp_path, ns, d, binary).stdout.strip() == "deployment.apps/web unchanged"
    cluster.kubectl("label", "deploy/web", "-n", ns, "owner=ops")
    cluster.kubectl("set", "env", "deploy/web", "-n", ns, "EXTRA=x")

    d["spec"]["replicas"] = 3
    d["spec"]["template"]["spec"]["containers"][0]["env"][1]["value"] = "22"
    del d["metadata"]["labels"]["tier"]
    out = apply_file(cluster, tmp_path, ns, d, binary).stdout
    assert out.strip() == "deployment.apps/web configured"

    live = get(cluster, ns, "deploy/web")
    assert live["spec"]["replicas"] == 3
    assert live["metadata"]["labels"] == {"app": "web", "owner": "ops"}
    env = {e["name"]: e["value"] for e in live["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env == {"A": "1", "B": "22", "EXTRA": "x"}


@pytest.mark.parametrize("binary", [*BINARIES, OLDEST])
def test_diff_and_server_dry_run_change_nothing(cluster, ns, tmp_path, binary):
    d = deployment("dry")
    apply_file(cluster, tmp_path, ns, d, binary)
    before = get(cluster, ns, "deploy/dry")
    d["spec"]["replicas"] = 7
    out = apply_file(cluster, tmp_path, ns, d, binary, "--dry-run=server").stdout
    assert out.strip() == "deployment.apps/dry configured (server dry run)"
    diff = cluster.kubectl("diff", "-n", ns, "-f", str(tmp_path / "dry.yaml"), binary=binary, check=False)
    assert diff.returncode == 1, diff.stderr
    assert "-  replicas: 2" in diff.stdout and "+  replicas: 7" in diff.stdout
    after = get(cluster, ns, "deploy/dry")
    assert after["spec"]["replicas"] == 2
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


@pytest.mark.parametrize("binary", [DEFAULT, NEWEST])
def test_server_side_apply_owns_fields_and_reports_conflicts(cluster, ns, tmp_path, binary):
    d = deployment("ssa")
    out = apply_file(cluster, tmp_path, ns, d, binary, "--server-side").stdout
    assert out.strip() == "deployment.apps/ssa serverside-applied"
    live = get(cluster, ns, "deploy/ssa")
    (entry,) = [m for m in live["metadata"]["managedFields"] if m["manager"] == "kubectl"]
    assert entry["operation"] == "Apply" and entry["fieldsType"] == "FieldsV1"
    fields = entry["fieldsV1"]
    assert "f:replicas" in fields["f:spec"]
    assert 'k:{"name":"c"}' in fields["f:spec"]["f:template"]["f:spec"]["f:containers"]

    cluster.kubectl("scale", "deploy/ssa", "-n", ns, "--replicas=5", binary=binary)
    d["spec"]["replicas"] = 2
    res = apply_file(cluster, tmp_path, ns, d, binary, "--server-side", check=False)
    assert res.returncode != 0
    assert "Apply failed with 1 conflict: conflict with" in res.stderr
    assert 'with subresource "scale" using apps/v1: .spec.replicas' in res.stderr
    assert get(cluster, ns, "deploy/ssa")["spec"]["replicas"] == 5

    apply_file(cluster, tmp_path, ns, d, binary, "--server-side", "--force-conflicts")
    assert get(cluster, ns, "deploy/ssa")["spec"]["replicas"] == 2


def test_server_side_apply_removes_what_the_manager_stopped_applying(cluster, ns, tmp_path):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1", "b": "2"}}
    apply_file(cluster, tmp_path, ns, cm, DEFAULT, "--server-side")
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"c": "3"}}
    cluster.kubectl(
        "apply", "--server-side", "--field-manager=other", "-n", ns, "-f", "-", input=json.dumps(other)
    )
    del cm["data"]["b"]
    apply_file(cluster, tmp_path, ns, cm, DEFAULT, "--server-side")
    assert get(cluster, ns, "cm/cfg")["data"] == {"a": "1", "c": "3"}

    other["data"]["a"] = "9"
    res = cluster.kubectl(
        "apply",
        "--server-side",
        "--field-manager=other",
        "-n",
        ns,
        "-f",
        "-",
        input=json.dumps(other),
        check=False,
    )
    assert 'Apply failed with 1 conflict: conflict with "kubectl": .data.a' in res.stderr


def test_server_side_apply_creates_a_missing_object_and_honours_dry_run(cluster, ns, tmp_path):
    d = deployment("fresh")
    out = apply_file(cluster, tmp_path, ns, d, DEFAULT, "--server-side", "--dry-run=server").stdout
    assert "serverside-applied (server dry run)" in out
    assert cluster.kubectl("get", "deploy/fresh", "-n", ns, check=False).returncode != 0
    apply_file(cluster, tmp_path, ns, d, DEFAULT, "--server-side")
    assert get(cluster, ns, "deploy/fresh")["spec"]["replicas"] == 2


@pytest.mark.parametrize("binary", [DEFAULT, NEWEST])
def test_unknown_and_duplicate_fields_are_reported_as_kubernetes_reports_them(cluster, ns, tmp_path, binary):
    d = deployment("typo")
    d["spec"]["replicaz"] = 3
    d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    res = cluster.kubectl("create", "-n", ns, "-f", str(path), binary=binary, check=False)
    assert res.returncode == 1
    assert (
        'Error from server (BadRequest): error when creating "' + str(path) + '": Deployment in '
        'version "v1" cannot be handled as a Deployment: strict decoding error: unknown field '
        '"spec.replicaz", unknown field "spec.template.spec.containers[0].imagePullPolicyy"'
    ) in res.stderr

    res = cluster.kubectl("create", "-n", ns, "-f", str(path), "--validate=warn", binary=binary)
    assert 'Warning: unknown field "spec.replicaz"' in res.stderr
    live = get(cluster, ns, "deploy/typo")
    assert "replicaz" not in live["spec"]

    dup = tmp_path / "dup.json"
    dup.write_text(
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1","a":"2"}}'
    )
    res = cluster.kubectl(
        "create",
        "--raw",
        f"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Strict",
        "-f",
        str(dup),
        binary=binary,
        check=False,
    )
    assert 'strict decoding error: duplicate field "data.a"' in res.stderr


def test_field_validation_modes_over_the_raw_api(cluster, ns):
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "raw"}, "bogus": 1})
    res = cluster.kubectl(
        "create",
        "--raw",
        f"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Strict",
        "-f",
        "-",
        input=body,
        check=False,
    )
    assert (
        'strict decoding error: unknown field \\"bogus\\"' in res.stderr
        or 'strict decoding error: unknown field "bogus"' in res.stderr
    )
    res = cluster.kubectl(
        "create", "--raw", f"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Ignore", "-f", "-", input=body
    )
    assert "bogus" not in res.stdout and "Warning" not in res.stderr


def test_kubectl_patch_types_and_strategic_directives(cluster, ns, tmp_path):
    apply_file(cluster, tmp_path, ns, deployment("p", env={"A": "1", "B": "2", "C": "3"}), DEFAULT)
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "c", "env": [{"name": "B", "$patch": "delete"}, {"name": "D", "value": "4"}]}
                    ]
                }
            }
        }
    }
    cluster.kubectl("patch", "deploy/p", "-n", ns, "-p", json.dumps(patch))
    env = get(cluster, ns, "deploy/p")["spec"]["template"]["spec"]["containers"][0]["env"]
    # B deleted; D, new to the list, goes first as Kubernetes' strategic merge places it.
    assert [e["name"] for e in env] == ["D", "A", "C"]
    cluster.kubectl("patch", "deploy/p", "-n", ns, "--type=merge", "-p", '{"spec":{"replicas":4}}')
    cluster.kubectl(
        "patch",
        "deploy/p",
        "-n",
        ns,
        "--type=json",
        "-p",
        '[{"op":"add","path":"/spec/minReadySeconds","value":5}]',
    )
    live = get(cluster, ns, "deploy/p")
    assert live["spec"]["replicas"] == 4 and live["spec"]["minReadySeconds"] == 5
    managers = {(m["manager"], m["operation"]) for m in live["metadata"]["managedFields"]}
    assert ("kubectl-patch", "Update") in managers
    res = cluster.kubectl(
        "patch",
        "deploy/p",
        "-n",
        ns,
        "--type=json",
        "-p",
        '[{"op":"test","path":"/spec/replicas","value":9}]',
        check=False,
    )
    assert res.returncode != 0
    assert "The request is invalid" in res.stderr
    assert "testing value /spec/replicas failed: test failed" in res.stderr


def test_python_client_server_side_apply_and_conflict(api_client, cluster, ns):
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    core = client.CoreV1Api(api_client)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "py"}, "data": {"k": "v"}}
    created = core.patch_namespaced_config_map(
        "py", ns, cm, field_manager="py-a", _content_type="application/apply-patch+yaml"
    )
    assert created.data == {"k": "v"}
    assert created.metadata.managed_fields[0].manager == "py-a"
    cm["data"]["k"] = "w"
    with pytest.raises(ApiException) as err:
        core.patch_namespaced_config_map(
            "py", ns, cm, field_manager="py-b", _content_type="application/apply-patch+yaml"
        )
    assert err.value.status == 409
    status = json.loads(err.value.body)
    assert status["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "py-a"', "field": ".data.k"}
    ]
    forced = core.patch_namespaced_config_map(
        "py", ns, cm, field_manager="py-b", force=True, _content_type="application/apply-patch+yaml"
    )
    assert forced.data == {"k": "w"}
    assert [m.manager for m in forced.metadata.managed_fields] == ["py-b"]
    with pytest.raises(ApiException) as err:
        core.patch_namespaced_config_map("py", ns, cm, _content_type="application/apply-patch+yaml")
    assert err.value.status == 422


def test_apply_on_the_scale_subresource_owns_replicas_of_the_workload(api_client, cluster, ns, tmp_path):
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    apply_file(cluster, tmp_path, ns, deployment("sc", replicas=2), DEFAULT, "--server-side")
    apps = client.AppsV1Api(api_client)
    scale = {
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {"name": "sc"},
        "spec": {"replicas": 4},
    }
    with pytest.raises(ApiException) as err:  # kubectl's apply owns spec.replicas
        apps.patch_namespaced_deployment_scale(
            "sc", ns, scale, field_manager="hpa", _content_type="application/apply-patch+yaml"
        )
    assert err.value.status == 409
    assert json.loads(err.value.body)["details"]["causes"][0]["field"] == ".spec.replicas"
    out = apps.patch_namespaced_deployment_scale(
        "sc", ns, scale, field_manager="hpa", force=True, _content_type="application/apply-patch+yaml"
    )
    assert out.kind == "Scale" and out.spec.replicas == 4
    live = get(cluster, ns, "deploy/sc")
    assert live["spec"]["replicas"] == 4
    hpa = [m for m in live["metadata"]["managedFields"] if m["manager"] == "hpa"]
    assert [(m["operation"], m["subresource"]) for m in hpa] == [("Apply", "scale")]
    assert hpa[0]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
