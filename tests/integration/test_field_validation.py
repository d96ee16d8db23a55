"""fieldValidation=Strict answers worded and ordered as Kubernetes words them: the strict
decoder's unknown fields before its duplicates, and server-side apply's typed-patch and
YAML errors (on built-in and custom resources alike)."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from kubelite.util.testing import wait_for


def call(cluster, method: str, path: str, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
    token = (cluster.data_dir / "tokens.csv").read_text().split(",", 1)[0]
    ctx = ssl.create_default_context(cafile=str(cluster.data_dir / "pki" / "ca.crt"))
    request = urllib.request.Request(
        cluster.url + path,
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, context=ctx) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


DEPLOYMENT = b"""{
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "my-dep", "labels": {"app": "nginx"}},
  "spec": {
    "unknownField": "foo", "replicas": 2, "replicas": 3,
    "selector": {"matchLabels": {"app": "nginx"}},
    "template": {"metadata": {"labels": {"app": "nginx"}},
                 "spec": {"containers": [{"name": "nginx", "image": "nginx:latest"}]}}
  }
}"""


def test_strict_decoding_reports_unknown_fields_before_duplicates(cluster):
    code, status = call(
        cluster,
        "POST",
        "/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict",
        DEPLOYMENT,
        "application/json",
    )
    assert code == 400
    assert status["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.unknownField", duplicate field "spec.replicas"'
    )


@pytest.fixture
def noxus(cluster):
    group = f"n{uuid.uuid4().hex[:6]}.example.com"
    spec_schema = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {"foo": {"type": "string"}},
    }
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"noxus.{group}"},
        "spec": {
            "group": group,
            "scope": "Cluster",
            "names": {"plural": "noxus", "singular": "noxu", "kind": "Noxu"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": spec_schema,
                                "strict": {"type": "object", "properties": {"a": {"type": "string"}}},
                            },
                        }
                    },
                }
            ],
        },
    }
    cluster.kubectl("create", "-f", "-", input=json.dumps(crd))
    wait_for(
        lambda: cluster.kubectl("get", "--raw", f"/apis/{group}/v1", check=False).returncode == 0,
        "the CRD to be served",
    )
    return group


def test_apply_of_a_field_the_schema_lacks_fails_to_type_the_patch(cluster, noxus):
    body = f"""
apiVersion: {noxus}/v1
kind: Noxu
metadata:
  name: mytest
strict:
  a: x
  unknownField: unknown
""".encode()
    code, status = call(
        cluster,
        "PATCH",
        f"/apis/{noxus}/v1/noxus/mytest?fieldManager=m&fieldValidation=Strict",
        body,
        "application/apply-patch+yaml",
    )
    assert code == 500
    assert status["message"] == (
        f"failed to create typed patch object (/mytest; {noxus}/v1, Kind=Noxu): "
        ".strict.unknownField: field not declared in schema"
    )
    assert "reason" not in status


def test_apply_with_a_repeated_yaml_key_is_refused_with_its_line(cluster, noxus):
    body = f"""
apiVersion: {noxus}/v1
kind: Noxu
metadata:
  name: mytest
spec:
  unknown: uk1
  foo: foo1
  foo: foo2
""".encode()
    code, status = call(
        cluster,
        "PATCH",
        f"/apis/{noxus}/v1/noxus/mytest?fieldManager=m&fieldValidation=Strict",
        body,
        "application/apply-patch+yaml",
    )
    assert code == 400
    assert status["message"] == (
        "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n"
        '  line 9: key "foo" already set in map'
    )
