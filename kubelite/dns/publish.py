"""The `kube-dns` Service and its endpoints: how pods find this server.

    kube-system/kube-dns   Service, ClusterIP = --service-ip (the tenth address of the
                           service range, 10.96.0.10), ports dns 53/UDP, dns-tcp 53/TCP,
                           metrics 9153/TCP, label k8s-app=kube-dns; created when missing;
                           when it exists only its target ports are brought up to date
    kube-system/kube-dns   Endpoints: this server's address (--advertise-address) with the
                           ports it really listens on, merged with other servers' addresses
    kube-system/kube-dns-<host>   EndpointSlice of this server alone (managed-by kubelite-dns)

kubeadm's Service selects CoreDNS pods; kubelite's DNS is a process of `kubelite up` (see
docs/architecture.md), so the Service has no selector and the server writes its own
endpoints, as the API server does for `default/kubernetes`. On a clean stop the server
takes its address back out. A server advertising a loopback address publishes no
endpoints (the API server refuses them, and pods could not reach it).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from kubelite.api import errors
from kubelite.api.types import Object

log = logging.getLogger("kubelite.dns.publish")
MANAGED_BY = "kubelite-dns"
SERVICE_LABELS = {
    "k8s-app": "kube-dns",
    "kubernetes.io/cluster-service": "true",
    "kubernetes.io/name": "CoreDNS",
}


@dataclass(slots=True, frozen=True)
class Publication:
    namespace: str
    name: str
    service_ip: str  # "" lets the API server allocate one
    address: str  # where pods reach this server
    dns_port: int
    metrics_port: int
    instance: str  # this server's name among several (the host name)

    @property
    def slice_name(self) -> str:
        digest = hashlib.sha256(self.instance.encode()).hexdigest()[:8]
        return f"{self.name}-{digest}"


def service(p: Publication) -> Object:
    spec: dict[str, Any] = {
        "ports": [
            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": p.dns_port},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": p.dns_port},
            {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": p.metrics_port},
        ],
    }
    if p.service_ip:
        spec["clusterIP"] = p.service_ip
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": p.name,
            "namespace": p.namespace,
            "labels": dict(SERVICE_LABELS),
            "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
        },
        "spec": spec,
    }


def _target_ports(svc: Object) -> list[tuple[str, object]]:
    return [(q.get("name", ""), q.get("targetPort")) for q in (svc.get("spec") or {}).get("ports") or []]


def _ports(p: Publication) -> list[dict[str, Any]]:
    return [
        {"name": "dns", "port": p.dns_port, "protocol": "UDP"},
        {"name": "dns-tcp", "port": p.dns_port, "protocol": "TCP"},
        {"name": "metrics", "port": p.metrics_port, "protocol": "TCP"},
    ]


def endpoint_slice(p: Publication, ready: bool) -> Object:
    family = "IPv6" if ":" in p.address else "IPv4"
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": p.slice_name,
            "namespace": p.namespace,
            "labels": {
                "kubernetes.io/service-name": p.name,
                "endpointslice.kubernetes.io/managed-by": MANAGED_BY,
                **SERVICE_LABELS,
            },
        },
        "addressType": family,
        "endpoints": [
            {
                "addresses": [p.address],
                "conditions": {"ready": ready, "serving": ready, "terminating": False},
                "hostname": p.instance[:63],
            }
        ],
        "ports": _ports(p),
    }


def merged_endpoints(existing: Object | None, p: Publication, present: bool) -> Object:
    """The Endpoints object with this server's address added (or, present=False, removed)."""
    addresses: list[str] = []
    for subset in (existing or {}).get("subsets") or []:
        addresses += [a["ip"] for a in subset.get("addresses") or [] if a.get("ip") != p.address]
    if present:
        addresses.append(p.address)
    obj: Object = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": p.name,
            "namespace": p.namespace,
            # the slices are this server's own: the mirroring controller must not copy these
            "labels": {**SERVICE_LABELS, "endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": [{"addresses": [{"ip": a} for a in sorted(set(addresses))], "ports": _ports(p)}]
        if addresses
        else [],
    }
    if existing is not None:
        obj["metadata"]["resourceVersion"] = existing["metadata"].get("resourceVersion", "")
    return obj


async def _put(resource: Any, obj: Object, namespace: str) -> None:
    name = obj["metadata"]["name"]
    try:
        current = await resource.get(name, namespace=namespace)
    except errors.NotFound:
        await resource.create(obj, namespace=namespace)
        return
    obj["metadata"]["resourceVersion"] = current["metadata"].get("resourceVersion", "")
    await resource.update(obj, namespace=namespace)


async def publish(client: Any, p: Publication, *, ready: bool) -> None:
    """Make sure the Service exists and this server is among its endpoints."""
    services = client.resource("services")
    want = service(p)
    try:
        await services.create(want, namespace=p.namespace)
        log.info("created the Service", extra={"service": f"{p.namespace}/{p.name}", "ip": p.service_ip})
    except errors.AlreadyExists:
        current = await services.get(p.name, namespace=p.namespace)
        if _target_ports(current) != _target_ports(want):  # this server listens elsewhere now
            current["spec"]["ports"] = want["spec"]["ports"]
            await services.update(current, namespace=p.namespace)
    if ipaddress.ip_address(p.address).is_loopback:
        log.info(
            "not publishing endpoints: pods cannot reach a loopback address", extra={"address": p.address}
        )
        return
    endpoints = client.resource("endpoints")
    for _ in range(5):
        try:
            existing = await endpoints.get(p.name, namespace=p.namespace)
        except errors.NotFound:
            existing = None
        try:
            obj = merged_endpoints(existing, p, present=True)
            if existing is None:
                await endpoints.create(obj, namespace=p.namespace)
            else:
                await endpoints.update(obj, namespace=p.namespace)
            break
        except (errors.Conflict, errors.AlreadyExists):
            continue
    await _put(
        client.resource("endpointslices", group="discovery.k8s.io"), endpoint_slice(p, ready), p.namespace
    )


async def withdraw(client: Any, p: Publication) -> None:
    """Take this server out of the Service's endpoints (the Service stays)."""
    slices = client.resource("endpointslices", group="discovery.k8s.io")
    try:
        await slices.delete(p.slice_name, namespace=p.namespace)
    except errors.NotFound:
        pass
    endpoints = client.resource("endpoints")
    for _ in range(5):
        try:
            existing = await endpoints.get(p.name, namespace=p.namespace)
            await endpoints.update(merged_endpoints(existing, p, present=False), namespace=p.namespace)
            return
        except errors.NotFound:
            return
        except errors.Conflict:
            continue
