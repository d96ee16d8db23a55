"""CustomResourceDefinitions through the real kubectl: a CRD serves its resource (discovery,
tables with its printer columns, explain from the published schema), validates, prunes and
defaults by the schema, serves several versions from one storage version, and has status
and scale subresources."""

from __future__ import annotations

import json
import uuid

import pytest

from kubelite.util.testing import wait_for


def crd(group: str) -> dict:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "description": "What the gadget should be.",
                "properties": {
                    "color": {"type": "string", "enum": ["red", "blue"], "description": "Its color."},
                    "replicas": {"type": "integer", "minimum": 0, "default": 1},
                },
            },
            "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}},
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gadgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "shortNames": ["gdg"]},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                    "subresources": {
                        "status": {},
                        "scale": {
                            "specReplicasPath": ".spec.replicas",
                            "statusReplicasPath": ".status.replicas",
                        },
                    },
                    "additionalPrinterColumns": [
                        {"name": "Color", "type": "string", "jsonPath": ".spec.color"},
                        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                    ],
                },
                {
                    "name": "v1beta1",
                    "served": True,
                    "storage": False,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                },
            ],
        },
    }


@pytest.fixture
def gadgets(cluster):
    group = f"g{uuid.uuid4().hex[:6]}.example.com"
    ns = "crd-" + uuid.uuid4().hex[:6]
    cluster.kubectl("create", "namespace", ns)
    cluster.kubectl("create", "-f", "-", input=json.dumps(crd(group)))
    wait_for(
        lambda: cluster.kubectl("get", "--raw", f"/apis/{group}/v1", check=False).returncode == 0,
        "the CRD to be served",
    )
    yield group, ns
    cluster.kubectl("delete", "crd", f"gadgets.{group}", "--timeout=60s")


def test_the_crd_is_established_with_its_names_accepted(cluster, gadgets):
    group, _ = gadgets
    status = json.loads(cluster.kubectl("get", "crd", f"gadgets.{group}", "-o", "json").stdout)["status"]
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions == {
        "NamesAccepted": ("True", "NoConflicts"),
        "Established": ("True", "InitialNamesAccepted"),
    }
    assert status["acceptedNames"]["listKind"] == "GadgetList"
    assert status["storedVersions"] == ["v1"]


def test_custom_objects_are_defaulted_validated_and_printed_with_their_columns(cluster, gadgets):
    group, ns = gadgets
    obj = {
        "apiVersion": f"{group}/v1",
        "kind": "Gadget",
        "metadata": {"name": "g1"},
        "spec": {"color": "red"},
    }
    cluster.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(obj))
    assert cluster.kubectl("get", "gdg", "-n", ns).stdout.split() == [
        "NAME",
        "COLOR",
        "REPLICAS",
        "g1",
        "red",
        "1",
    ]
    bad = {**obj, "metadata": {"name": "g2"}, "spec": {"color": "green", "replicas": -1}}
    res = cluster.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(bad), check=False)
    assert 'spec.color: Unsupported value: "green": supported values: "red", "blue"' in res.stderr
    assert (
        "spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"
        in res.stderr
    )
    res = cluster.kubectl("patch", "gdg", "g1", "-n", ns, "-p", '{"spec":{"color":"blue"}}', check=False)
    assert "application/strategic-merge-patch+json" not in res.stderr.split("include:")[-1]


def test_versions_share_storage_and_status_and_scale_are_subresources(cluster, gadgets):
    group, ns = gadgets
    obj = {
        "apiVersion": f"{group}/v1beta1",
        "kind": "Gadget",
        "metadata": {"name": "g1"},
        "spec": {"anything": 1},
    }
    cluster.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(obj))
    v1 = json.loads(cluster.kubectl("get", f"gadgets.v1.{group}", "g1", "-n", ns, "-o", "json").stdout)
    assert v1["apiVersion"] == f"{group}/v1"
    assert v1["spec"] == {"replicas": 1}  # pruned and defaulted by v1's schema on read
    cluster.kubectl("scale", f"gadgets.{group}", "g1", "-n", ns, "--replicas=4")
    cluster.kubectl(
        "patch",
        f"gadgets.{group}",
        "g1",
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"replicas":4}}',
    )
    scale = json.loads(
        cluster.kubectl("get", "--raw", f"/apis/{group}/v1/namespaces/{ns}/gadgets/g1/scale").stdout
    )
    assert scale["spec"] == {"replicas": 4} and scale["status"]["replicas"] == 4
    after = json.loads(cluster.kubectl("get", f"gadgets.{group}", "g1", "-n", ns, "-o", "json").stdout)
    assert after["metadata"]["generation"] == 2  # the scale changed spec; the status write did not


def test_explain_reads_the_published_schema(cluster, gadgets):
    group, _ = gadgets
    out = cluster.kubectl("explain", "gadgets.spec.color", f"--api-version={group}/v1").stdout
    assert "Its color." in out
    assert f"GROUP:      {group}" in out


def test_every_served_group_version_has_a_local_api_service(cluster, gadgets):
    group, _ = gadgets
    out = cluster.kubectl("get", "apiservices").stdout.splitlines()
    assert out[0].split() == ["NAME", "SERVICE", "AVAILABLE", "AGE"]
    rows = {line.split()[0]: line.split()[1:3] for line in out[1:]}
    for name in (
        "v1.",
        "v1.apps",
        "v2.autoscaling",
        "v1.autoscaling",
        "v1.apiextensions.k8s.io",
        f"v1.{group}",
    ):
        assert rows[name] == ["Local", "True"], name
    core = json.loads(cluster.kubectl("get", "apiservice", "v1.", "-o", "json").stdout)
    assert core["spec"] == {"groupPriorityMinimum": 18000, "version": "v1", "versionPriority": 1}
    assert core["metadata"]["labels"] == {"kube-aggregator.kubernetes.io/automanaged": "onstart"}
