"""A Service's fields that belong to its type, wiped when an update changes the type.

Switching a Service to a type that no longer uses a value the server allocated or
defaulted (a cluster IP for ExternalName, node ports for ClusterIP, the health check node
port, the LoadBalancer-only fields, externalTrafficPolicy) clears that value - but only
when the update left it as it was: a client that changed it too asked for something
validation should judge. The allocator releases what was wiped. Without this, a client that
reads a Service and writes it back with `type: ExternalName` is refused for the cluster IP
it never chose (Kubernetes' strategy does the same on every update).
"""

from __future__ import annotations

from typing import Any

_NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


def _needs_cluster_ip(spec: dict[str, Any]) -> bool:
    return spec.get("type") != "ExternalName"


def _needs_node_ports(spec: dict[str, Any]) -> bool:
    return spec.get("type") in _NODE_PORT_TYPES


def _needs_health_check_node_port(spec: dict[str, Any]) -> bool:
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def _node_ports(spec: dict[str, Any]) -> set[int]:
    return {p["nodePort"] for p in spec.get("ports") or [] if p.get("nodePort")}


def _same(new: dict[str, Any], old: dict[str, Any], field: str) -> bool:
    return new.get(field) == old.get(field)


def _drop_cluster_ip_fields(spec: dict[str, Any], old_spec: dict[str, Any]) -> None:
    if _same(spec, old_spec, "clusterIP") and (spec.get("clusterIPs") or []) == (
        old_spec.get("clusterIPs") or []
    ):
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
    if (spec.get("ipFamilies") or []) == (old_spec.get("ipFamilies") or []):
        spec.pop("ipFamilies", None)
    if _same(spec, old_spec, "ipFamilyPolicy"):
        spec.pop("ipFamilyPolicy", None)


def drop_type_dependent_fields(new: dict[str, Any], old: dict[str, Any]) -> None:
    """Wipe from `new` (an update of `old`) what its new type does not use and the update
    did not touch; the load balancer status too unless it stays a LoadBalancer."""
    spec, old_spec = new.setdefault("spec", {}), old.get("spec") or {}
    if _needs_cluster_ip(old_spec) and not _needs_cluster_ip(spec):
        _drop_cluster_ip_fields(spec, old_spec)
    leaves_node_ports = _needs_node_ports(old_spec) and not _needs_node_ports(spec)
    if leaves_node_ports and _node_ports(spec) == _node_ports(old_spec):
        for port in spec.get("ports") or []:
            port.pop("nodePort", None)
    if (
        _needs_health_check_node_port(old_spec)
        and not _needs_health_check_node_port(spec)
        and _same(spec, old_spec, "healthCheckNodePort")
    ):
        spec.pop("healthCheckNodePort", None)
    if old_spec.get("type") == "LoadBalancer" and spec.get("type") != "LoadBalancer":
        for field in ("allocateLoadBalancerNodePorts", "loadBalancerClass"):
            if _same(spec, old_spec, field):
                spec.pop(field, None)
    if leaves_node_ports and _same(spec, old_spec, "externalTrafficPolicy"):
        spec.pop("externalTrafficPolicy", None)
    if spec.get("type") != "LoadBalancer" and "status" in new:
        new["status"]["loadBalancer"] = {}
