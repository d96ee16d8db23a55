"""A kopf operator on a CustomResourceDefinition, against a real API server: it sees the
custom objects through discovery and watches, handles their creation, updates and deletion
(with its finalizer), writes their status, and owns a child ConfigMap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kubelite.util.testing import wait_for

GROUP = "kopf-e2e.example.com"

OPERATOR = """
import kopf

@kopf.on.startup()
def configure(settings, **_):
    settings.posting.enabled = False
    settings.watching.server_timeout = 30


@kopf.on.create("kopf-e2e.example.com", "v1", "widgets")
def created(spec, name, namespace, body, **_):
    child = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name + "-child"},
        "data": {"size": str(spec.get("size", 0))},
    }
    kopf.adopt(child, owner=body)
    import kubernetes
    kubernetes.config.load_kube_config()
    kubernetes.client.CoreV1Api().create_namespaced_config_map(namespace, child)
    return {"phase": "Created", "size": spec.get("size", 0)}


@kopf.on.update("kopf-e2e.example.com", "v1", "widgets", field="spec.size")
def resized(new, patch, **_):
    patch.status["resized"] = new
    return {"phase": "Resized"}


@kopf.on.delete("kopf-e2e.example.com", "v1", "widgets")
def deleted(name, namespace, **_):
    import kubernetes
    kubernetes.config.load_kube_config()
    kubernetes.client.CoreV1Api().delete_namespaced_config_map(name + "-child", namespace)
"""

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"widgets.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wdg"]},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {"name": "Phase", "type": "string", "jsonPath": ".status.created.phase"},
                ],
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {"size": {"type": "integer", "minimum": 0, "default": 1}},
                            },
                            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                        },
                    }
                },
            }
        ],
    },
}


def get_json(cluster, *args: str) -> dict[str, Any] | None:
    res = cluster.kubectl("get", *args, "-o", "json", check=False)
    return json.loads(res.stdout) if res.returncode == 0 else None


@pytest.fixture
def operator(cluster, tmp_path) -> Iterator[str]:
    ns = "kopf-" + uuid.uuid4().hex[:6]
    cluster.kubectl("create", "namespace", ns)
    cluster.kubectl("apply", "-f", "-", input=json.dumps(CRD))
    wait_for(
        lambda: cluster.kubectl("get", "--raw", f"/apis/{GROUP}/v1", check=False).returncode == 0,
        "the CRD to be served",
    )
    script = tmp_path / "operator.py"
    script.write_text(OPERATOR)
    log = open(tmp_path / "operator.log", "wb")
    env = {**cluster.env(), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kopf", "run", "--standalone", "--namespace", ns, str(script)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield ns
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        cluster.kubectl("delete", "crd", f"widgets.{GROUP}", "--ignore-not-found", "--wait=false")
        if os.environ.get("KUBELITE_SHOW_OPERATOR_LOG"):
            print((tmp_path / "operator.log").read_text())


def test_a_kopf_operator_handles_its_custom_resources(cluster, operator):
    ns = operator
    widget = {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": "w1", "namespace": ns}}
    widget["spec"] = {"size": 3}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(widget))

    obj = wait_for(
        lambda: (o := get_json(cluster, "widget", "w1", "-n", ns)) and "created" in o.get("status", {}) and o,
        "the create handler's result in status",
        timeout=60,
    )
    assert obj["status"]["created"] == {"phase": "Created", "size": 3}
    assert "kopf.zalando.org/KopfFinalizerMarker" in obj["metadata"]["finalizers"]
    child = get_json(cluster, "configmap", "w1-child", "-n", ns)
    assert child is not None and child["data"] == {"size": "3"}
    assert child["metadata"]["ownerReferences"][0]["kind"] == "Widget"
    # The CRD's columns replace the default Age column.
    assert cluster.kubectl("get", "wdg", "-n", ns).stdout.split() == [
        "NAME",
        "SIZE",
        "PHASE",
        "w1",
        "3",
        "Created",
    ]

    cluster.kubectl("patch", "widget", "w1", "-n", ns, "--type", "merge", "-p", '{"spec":{"size":5}}')
    wait_for(
        lambda: ((get_json(cluster, "widget", "w1", "-n", ns) or {}).get("status") or {}).get("resized") == 5,
        "the update handler",
    )

    cluster.kubectl("delete", "widget", "w1", "-n", ns, "--wait=false")
    wait_for(lambda: get_json(cluster, "widget", "w1", "-n", ns) is None, "the widget to be gone")
    assert get_json(cluster, "configmap", "w1-child", "-n", ns) is None


def test_deleting_the_crd_deletes_its_objects(cluster):
    ns = "crd-del-" + uuid.uuid4().hex[:6]
    cluster.kubectl("create", "namespace", ns)
    crd = json.loads(json.dumps(CRD).replace(GROUP, "del-" + GROUP))
    cluster.kubectl("apply", "-f", "-", input=json.dumps(crd))
    group = "del-" + GROUP
    wait_for(
        lambda: cluster.kubectl("get", "--raw", f"/apis/{group}/v1", check=False).returncode == 0,
        "the CRD to be served",
    )
    for name in ("a", "b"):
        obj = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": name, "namespace": ns}}
        cluster.kubectl("create", "-f", "-", input=json.dumps(obj))
    assert len(get_json(cluster, f"widgets.{group}", "-n", ns)["items"]) == 2
    cluster.kubectl("delete", "crd", f"widgets.{group}", "--timeout=60s")
    assert cluster.kubectl("get", "--raw", f"/apis/{group}/v1", check=False).returncode != 0
    cluster.kubectl("apply", "-f", "-", input=json.dumps(crd))
    wait_for(
        lambda: cluster.kubectl("get", "--raw", f"/apis/{group}/v1", check=False).returncode == 0,
        "the CRD to be served again",
    )
    assert get_json(cluster, f"widgets.{group}", "-n", ns)["items"] == []
    cluster.kubectl("delete", "crd", f"widgets.{group}", "--wait=false")
