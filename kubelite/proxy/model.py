"""What kube-proxy programs, read out of Services and EndpointSlices.

A Service with N ports is N *service ports*, each named `namespace/name:portname`
(`namespace/name` when the port has no name) with its protocol; that name is what every
proxy mode keys on (kube-proxy's ServicePortName) and what the iptables chain hashes are
computed from. An EndpointSlice contributes, for each of its ports, the endpoints
`ip:port` of that service port with their conditions:

    Service default/web  ports [http 80->8080/TCP]      ServicePort default/web:http
    EndpointSlice web-x  ports [http 8080/TCP]          Endpoint 10.1.0.5:8080 ready
                         endpoints [10.1.0.5 ready]       (is_local when nodeName is ours)

Services the proxy leaves alone, as kube-proxy does: headless (`clusterIP: None`),
ExternalName, and those without a cluster IP. IPv4 only (the machine's family).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.types import Object

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
DEFAULT_STICKY_SECONDS = 10800  # ClientIP affinity's default timeoutSeconds (3 hours)


@dataclass(frozen=True, slots=True, order=True)
class ServicePortName:
    namespace: str
    name: str
    port: str  # the port's name; "" for an unnamed (single) port
    protocol: str  # TCP, UDP, SCTP

    def __str__(self) -> str:
        base = f"{self.namespace}/{self.name}"
        return f"{base}:{self.port}" if self.port else base

    @property
    def service(self) -> str:
        """`namespace/name`: the key changes are tracked by."""
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class ServicePort:
    """One port of one Service, with everything the rules need."""

    name: ServicePortName
    cluster_ip: str
    port: int
    node_port: int = 0
    external_ips: tuple[str, ...] = ()
    load_balancer_ips: tuple[str, ...] = ()
    load_balancer_source_ranges: tuple[str, ...] = ()
    session_affinity_seconds: int = 0  # > 0: ClientIP affinity with this timeout
    external_policy_local: bool = False
    internal_policy_local: bool = False
    health_check_node_port: int = 0

    @property
    def protocol(self) -> str:
        return self.name.protocol

    def externally_accessible(self) -> bool:
        return bool(self.node_port or self.external_ips or self.load_balancer_ips)

    def uses_cluster_endpoints(self) -> bool:
        """Whether any traffic of this port goes to endpoints on any node."""
        return not self.internal_policy_local or (
            self.externally_accessible() and not self.external_policy_local
        )

    def uses_local_endpoints(self) -> bool:
        return self.internal_policy_local or (self.external_policy_local and self.externally_accessible())


@dataclass(frozen=True, slots=True)
class Endpoint:
    ip: str
    port: int
    ready: bool = True
    serving: bool = True
    terminating: bool = False
    is_local: bool = False
    zone_hints: tuple[str, ...] = field(default=(), compare=False)

    @property
    def address(self) -> str:
        """`ip:port`, the DNAT target and part of the endpoint chain's hash."""
        return f"{self.ip}:{self.port}"


def _is_ipv4(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).version == 4
    except ValueError:
        return False


def service_ports(svc: Object) -> list[ServicePort]:
    """The service ports kube-proxy programs for `svc` (none for headless/ExternalName)."""
    spec: dict[str, Any] = svc.get("spec") or {}
    meta = svc.get("metadata") or {}
    cluster_ip = spec.get("clusterIP") or ""
    if spec.get("type") == "ExternalName" or not _is_ipv4(cluster_ip):
        return []
    affinity = 0
    if spec.get("sessionAffinity") == "ClientIP":
        cfg = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get("timeoutSeconds")
        affinity = int(cfg or DEFAULT_STICKY_SECONDS)
    lb_ips = tuple(
        i["ip"]
        for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        if _is_ipv4(i.get("ip", ""))
    )
    ext_local = spec.get("externalTrafficPolicy") == "Local" and spec.get("type") in (
        "NodePort",
        "LoadBalancer",
    )
    out = []
    for p in spec.get("ports") or []:
        protocol = p.get("protocol") or "TCP"
        name = ServicePortName(
            meta.get("namespace", "default"), meta.get("name", ""), p.get("name") or "", protocol
        )
        out.append(
            ServicePort(
                name=name,
                cluster_ip=cluster_ip,
                port=int(p.get("port") or 0),
                node_port=int(p.get("nodePort") or 0),
                external_ips=tuple(ip for ip in spec.get("externalIPs") or [] if _is_ipv4(ip)),
                load_balancer_ips=lb_ips if spec.get("type") == "LoadBalancer" else (),
                load_balancer_source_ranges=tuple(spec.get("loadBalancerSourceRanges") or []),
                session_affinity_seconds=affinity,
                external_policy_local=ext_local,
                internal_policy_local=spec.get("internalTrafficPolicy") == "Local",
                health_check_node_port=int(spec.get("healthCheckNodePort") or 0) if ext_local else 0,
            )
        )
    return out


def slice_endpoints(eps: Object, node_name: str) -> dict[ServicePortName, list[Endpoint]]:
    """The endpoints one EndpointSlice (discovery.k8s.io/v1) gives each of its service's ports."""
    meta = eps.get("metadata") or {}
    service = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
    if not service or eps.get("addressType", "IPv4") != "IPv4":
        return {}
    out: dict[ServicePortName, list[Endpoint]] = {}
    for p in eps.get("ports") or []:
        if p.get("port") is None:
            continue
        name = ServicePortName(
            meta.get("namespace", "default"), service, p.get("name") or "", p.get("protocol") or "TCP"
        )
        found = out.setdefault(name, [])
        for e in eps.get("endpoints") or []:
            cond = e.get("conditions") or {}
            ready = cond.get("ready") is not False  # unset means ready
            for ip in (e.get("addresses") or [])[:1]:  # kube-proxy uses the first address only
                found.append(
                    Endpoint(
                        ip=ip,
                        port=int(p["port"]),
                        ready=ready,
                        serving=cond.get("serving", ready) is not False,
                        terminating=bool(cond.get("terminating")),
                        is_local=bool(node_name) and e.get("nodeName") == node_name,
                        zone_hints=tuple(
                            h.get("name", "") for h in (e.get("hints") or {}).get("forZones") or []
                        ),
                    )
                )
    return out


@dataclass(frozen=True, slots=True)
class Categorized:
    """An endpoint set split the way the traffic policies need it (kube-proxy's
    CategorizeEndpoints): `cluster` for Cluster policy, `local` for Local, `reachable` the
    union the endpoint chains are written for; terminating-but-serving endpoints stand in
    only when no ready one is left."""

    cluster: tuple[Endpoint, ...]
    local: tuple[Endpoint, ...]
    reachable: tuple[Endpoint, ...]
    has_any: bool


def categorize(endpoints: list[Endpoint], svc: ServicePort) -> Categorized:
    cluster: list[Endpoint] = []
    local: list[Endpoint] = []
    has_any = False
    if svc.uses_cluster_endpoints():
        cluster = [e for e in endpoints if e.ready] or [e for e in endpoints if e.serving and e.terminating]
        has_any = bool(cluster)
    if not svc.uses_local_endpoints():
        return Categorized(tuple(cluster), (), tuple(cluster), has_any)
    has_any = has_any or any(e.ready or (e.serving and e.terminating) for e in endpoints)
    local = [e for e in endpoints if e.is_local and e.ready]
    fallback = not local
    if fallback:
        local = [e for e in endpoints if e.is_local and e.serving and e.terminating]
    if not svc.uses_cluster_endpoints():
        return Categorized((), tuple(local), tuple(local), has_any)
    if not fallback:
        return Categorized(tuple(cluster), tuple(local), tuple(cluster), has_any)
    union = list(cluster) + [e for e in local if e not in cluster]
    return Categorized(tuple(cluster), tuple(local), tuple(union), has_any)
