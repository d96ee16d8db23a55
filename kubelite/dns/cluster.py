"""What the DNS server knows of the cluster: Services, EndpointSlices and Namespaces.

The three caches are informers' indexers (`process.py` runs the informers; unit tests
fill plain `Indexer`s), with the indexes the lookups need:

    services    by "<name>.<namespace>" and by cluster IP       (A, SRV, PTR of a service IP)
    slices      by "<service>.<namespace>" and by ready address (endpoints, PTR of a pod IP)
    namespaces  by name                                         (does the namespace exist?)

As in CoreDNS, only endpoints whose `ready` condition is true (or unset) are served; the
EndpointSlice controller marks every endpoint ready for a Service with
publishNotReadyAddresses, so those are served too. `serial` is the SOA serial: the Unix
time of the last change seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from kubelite.api.types import Object
from kubelite.client.store import Indexer, IndexFunc

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
BY_NAME = "dns-name"
BY_IP = "dns-ip"


def service_key(name: str, namespace: str) -> str:
    return f"{name}.{namespace}".lower()


def _service_by_name(svc: Object) -> list[str]:
    md = svc["metadata"]
    return [service_key(md["name"], md.get("namespace", ""))]


def cluster_ips(svc: Object) -> list[str]:
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [str(ip) for ip in ips]


def _service_by_ip(svc: Object) -> list[str]:
    return [ip for ip in cluster_ips(svc) if ip != "None"]


def _slice_by_service(s: Object) -> list[str]:
    md = s["metadata"]
    name = (md.get("labels") or {}).get(SERVICE_NAME_LABEL)
    return [service_key(name, md.get("namespace", ""))] if name else []


def _ready(endpoint: Object) -> bool:
    return (endpoint.get("conditions") or {}).get("ready") is not False


def _slice_by_ip(s: Object) -> list[str]:
    return [a for e in s.get("endpoints") or [] if _ready(e) for a in e.get("addresses") or []]


SERVICE_INDEXES: Mapping[str, IndexFunc] = {BY_NAME: _service_by_name, BY_IP: _service_by_ip}
SLICE_INDEXES: Mapping[str, IndexFunc] = {BY_NAME: _slice_by_service, BY_IP: _slice_by_ip}


@dataclass(slots=True, frozen=True)
class Address:
    """One ready address of an endpoint, as the kubernetes plugin sees it."""

    ip: str
    hostname: str = ""


@dataclass(slots=True, frozen=True)
class Port:
    port: int  # -1: the slice names no port
    name: str = ""
    protocol: str = ""


@dataclass(slots=True, frozen=True)
class Endpoints:
    """One EndpointSlice's ready addresses and ports."""

    service: str
    namespace: str
    addresses: tuple[Address, ...]
    ports: tuple[Port, ...]


def endpoints_of(s: Object) -> Endpoints:
    md = s["metadata"]
    addresses = tuple(
        Address(a, e.get("hostname") or "")
        for e in s.get("endpoints") or []
        if _ready(e)
        for a in e.get("addresses") or []
    )
    ports = tuple(
        Port(p["port"] if p.get("port") is not None else -1, p.get("name") or "", p.get("protocol") or "")
        for p in s.get("ports") or []
    ) or (Port(-1),)
    name = (md.get("labels") or {}).get(SERVICE_NAME_LABEL, "")
    return Endpoints(name, md.get("namespace", ""), addresses, ports)


@dataclass(slots=True)
class ClusterIndex:
    """The three caches, read by the lookups; `synced` once every informer has listed."""

    services: Indexer = field(default_factory=lambda: Indexer(SERVICE_INDEXES))
    slices: Indexer = field(default_factory=lambda: Indexer(SLICE_INDEXES))
    namespaces: Indexer = field(default_factory=Indexer)
    synced: Callable[[], bool] = lambda: True
    serial: int = field(default_factory=lambda: int(time.time()))
    generation: int = 0  # counts changes: replies remembered from before are stale

    def touch(self, now: float | None = None) -> None:
        """Something changed: the SOA serial moves on."""
        self.serial = int(time.time() if now is None else now)
        self.generation += 1

    def namespace_exists(self, namespace: str) -> bool:
        return bool(namespace) and self.namespaces.get(namespace) is not None

    def services_named(self, name: str, namespace: str) -> list[Object]:
        return self.services.by_index(BY_NAME, service_key(name, namespace))

    def endpoints_of_service(self, name: str, namespace: str) -> Iterator[Endpoints]:
        for s in self.slices.by_index(BY_NAME, service_key(name, namespace)):
            yield endpoints_of(s)

    def services_with_ip(self, ip: str) -> list[Object]:
        return self.services.by_index(BY_IP, ip)

    def endpoints_with_ip(self, ip: str) -> Iterator[Endpoints]:
        for s in self.slices.by_index(BY_IP, ip):
            yield endpoints_of(s)
