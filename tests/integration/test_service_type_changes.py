"""Changing a Service's type by writing back what was read, as the conformance specs and
`kubectl edit` do: what the old type had allocated and the new one does not use goes with
the change (and back to the pools), what the client changed itself is judged by validation."""

from __future__ import annotations

import uuid

import pytest


def _service(name: str, type_: str) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {"type": type_, "selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def test_a_cluster_ip_service_written_back_as_external_name_loses_its_cluster_ip(api_client):
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    name = f"to-ext-{uuid.uuid4().hex[:6]}"
    core.create_namespaced_service("default", _service(name, "ClusterIP"))
    svc = core.read_namespaced_service(name, "default")
    ip = svc.spec.cluster_ip
    assert ip and svc.spec.ip_families == ["IPv4"]
    svc.spec.type = "ExternalName"
    svc.spec.external_name = "foo.example.com"
    svc.spec.selector = None
    changed = core.replace_namespaced_service(name, "default", svc)
    assert changed.spec.type == "ExternalName"
    assert changed.spec.cluster_ip is None and changed.spec.cluster_ips is None
    assert changed.spec.ip_families is None and changed.spec.ip_family_policy is None
    # the address went back to the pool: another Service may ask for it
    core.create_namespaced_service(
        "default", {**_service(f"{name}-b", "ClusterIP"), "spec": {"clusterIP": ip, "ports": [{"port": 80}]}}
    )
    core.delete_namespaced_service(f"{name}-b", "default")
    core.delete_namespaced_service(name, "default")


def test_a_node_port_service_written_back_as_cluster_ip_loses_its_node_ports(api_client):
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    name = f"to-cip-{uuid.uuid4().hex[:6]}"
    core.create_namespaced_service("default", _service(name, "NodePort"))
    svc = core.read_namespaced_service(name, "default")
    assert svc.spec.ports[0].node_port and svc.spec.external_traffic_policy == "Cluster"
    svc.spec.type = "ClusterIP"
    changed = core.replace_namespaced_service(name, "default", svc)
    assert changed.spec.ports[0].node_port is None
    assert changed.spec.external_traffic_policy is None
    assert changed.spec.cluster_ip == svc.spec.cluster_ip  # still needed: kept
    core.delete_namespaced_service(name, "default")


def test_a_cluster_ip_the_client_changed_while_switching_to_external_name_is_refused(api_client):
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    core = client.CoreV1Api(api_client)
    name = f"keep-{uuid.uuid4().hex[:6]}"
    core.create_namespaced_service("default", _service(name, "ClusterIP"))
    svc = core.read_namespaced_service(name, "default")
    svc.spec.type = "ExternalName"
    svc.spec.external_name = "foo.example.com"
    svc.spec.cluster_ip = "10.96.200.200"
    svc.spec.cluster_ips = ["10.96.200.200"]
    with pytest.raises(ApiException) as refused:
        core.replace_namespaced_service(name, "default", svc)
    assert refused.value.status == 422
    assert "may not be set for ExternalName services" in refused.value.body
    core.delete_namespaced_service(name, "default")
