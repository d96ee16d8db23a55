"""Protobuf bodies of the cluster-configuration kinds round-trip to the JSON a client would

# ruff: noqa: E501 -- objects are written out whole
have sent (flowcontrol and apiregistration use kubelite's own tables)."""

from __future__ import annotations

from protobuf_encoder import encode_object

from kubelite.api import protobuf

FLOW_SCHEMA = {
    "apiVersion": "flowcontrol.apiserver.k8s.io/v1",
    "kind": "FlowSchema",
    "metadata": {"name": "fs"},
    "spec": {
        "priorityLevelConfiguration": {"name": "pl"},
        "matchingPrecedence": 500,
        "distinguisherMethod": {"type": "ByUser"},
        "rules": [
            {
                "subjects": [{"kind": "ServiceAccount", "serviceAccount": {"namespace": "ns", "name": "sa"}}],
                "resourceRules": [
                    {
                        "verbs": ["get"],
                        "apiGroups": [""],
                        "resources": ["pods"],
                        "clusterScope": True,
                        "namespaces": ["*"],
                    }
                ],
            }
        ],
    },
}

PRIORITY_LEVEL = {
    "apiVersion": "flowcontrol.apiserver.k8s.io/v1",
    "kind": "PriorityLevelConfiguration",
    "metadata": {"name": "pl"},
    "spec": {
        "type": "Limited",
        "limited": {
            "nominalConcurrencyShares": 10,
            "lendablePercent": 0,
            "limitResponse": {
                "type": "Queue",
                "queuing": {"queues": 64, "handSize": 8, "queueLengthLimit": 50},
            },
        },
    },
}

API_SERVICE = {
    "apiVersion": "apiregistration.k8s.io/v1",
    "kind": "APIService",
    "metadata": {"name": "v1beta1.metrics.k8s.io"},
    "spec": {
        "service": {"namespace": "kube-system", "name": "metrics-server", "port": 443},
        "group": "metrics.k8s.io",
        "version": "v1beta1",
        "insecureSkipTLSVerify": True,
        "groupPriorityMinimum": 100,
        "versionPriority": 100,
    },
}


def test_flowcontrol_and_apiregistration_objects_round_trip() -> None:
    for obj in (FLOW_SCHEMA, PRIORITY_LEVEL, API_SERVICE):
        assert protobuf.decode(encode_object(obj)) == obj
