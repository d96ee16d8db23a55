"""Services and EndpointSlices as the proxy's informers hand them over, for tests and the
benchmark: `service("web", type="NodePort")`, `endpoint_slice("web", ("10.244.1.1", READY))`."""

from __future__ import annotations

from typing import Any

READY: dict[str, Any] = {"ready": True}


def service(name: str, *, ip: str = "10.96.0.10", type: str = "ClusterIP", **spec: Any) -> dict[str, Any]:
    """A Service in namespace `ns`, port `http` 80 -> 8080 (NodePort 30080 for the types that
    have one) unless `ports` is given."""
    port: dict[str, Any] = {"name": "http", "port": 80, "targetPort": 8080}
    if type in ("NodePort", "LoadBalancer"):
        port["nodePort"] = 30080
    ports = spec.pop("ports", [port])
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"type": type, "clusterIP": ip, "ports": ports, **spec},
    }


def endpoint_slice(name: str, *endpoints: tuple[str, dict[str, Any]], node: str = "other") -> dict[str, Any]:
    """The slice of Service `name`: (ip, conditions) pairs on port `http` 8080; a `node` key in
    the conditions names the endpoint's node (default `node`)."""
    items = []
    for ip, conditions in endpoints:
        cond = dict(conditions)
        items.append({"addresses": [ip], "conditions": cond, "nodeName": cond.pop("node", node)})
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": f"{name}-x", "namespace": "ns", "labels": {"kubernetes.io/service-name": name}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": items,
    }
