"""A CustomResourceDefinition and its objects survive an API server restart: the CRD is
served again before the server listens, with its objects in the cache."""

from __future__ import annotations

import json

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "things.restart.example.com"},
    "spec": {
        "group": "restart.example.com",
        "scope": "Cluster",
        "names": {"plural": "things", "singular": "thing", "kind": "Thing"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                },
            }
        ],
    },
}


def test_custom_objects_are_served_right_after_a_restart(fresh_cluster):
    cluster = fresh_cluster
    cluster.kubectl("create", "-f", "-", input=json.dumps(CRD))
    cluster.kubectl("wait", "--for=condition=Established", "crd/things.restart.example.com", "--timeout=30s")
    thing = {"apiVersion": "restart.example.com/v1", "kind": "Thing", "metadata": {"name": "t1"}, "size": 3}
    cluster.kubectl("create", "-f", "-", input=json.dumps(thing))
    cluster.restart()
    got = json.loads(cluster.kubectl("get", "--raw", "/apis/restart.example.com/v1/things/t1").stdout)
    assert got["size"] == 3
