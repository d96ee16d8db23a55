"""The kubernetes plugin's lookups: which entries a name has, or that it has none.

An `Entry` is what CoreDNS calls a msg.Service: a host (an address, or for an ExternalName
Service a name to alias), a port, and the name the entry lives at (the target of SRV
records). A lookup returns entries, or raises `NoSuchName` when the name does not exist
(NXDOMAIN); an empty list means the name exists without records of that kind (NODATA):

    services(req)           Service → its cluster IPs, one entry per port and IP
                            headless Service (or an endpoint name) → its ready endpoints,
                            one entry per address and port
                            ExternalName Service → its external name (CNAME)
    pods(req)               a-b-c-d.<ns>.pod → a-b-c-d as an address ("pods insecure":
                            any address, in a namespace that exists)
    reverse(ip)             a service IP → <svc>.<ns>.svc.<zone>; an endpoint address →
                            <endpoint>.<svc>.<ns>.svc.<zone>

Names are compared without regard to case, as CoreDNS compares them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from kubelite.api.types import Object
from kubelite.dns.cluster import Address, ClusterIndex, Endpoints, Port, cluster_ips
from kubelite.dns.names import POD, SVC, RecordRequest, dashed, pod_address

DEFAULT_TTL = 30  # kubeadm's Corefile: `ttl 30` (the plugin's own default is 5)


class NoSuchName(Exception):
    """The name does not exist in the zone (NXDOMAIN)."""


@dataclass(slots=True, frozen=True)
class Entry:
    host: str  # an IP address, or a name (ExternalName)
    domain: str  # where the entry lives, fully qualified: the SRV target
    port: int = -1
    ttl: int = DEFAULT_TTL

    @property
    def is_name(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return True
        return False

    @property
    def family(self) -> int:
        """4 or 6 for an address, 0 for a name."""
        try:
            return ipaddress.ip_address(self.host).version
        except ValueError:
            return 0


def endpoint_hostname(a: Address) -> str:
    return a.hostname or dashed(a.ip)


def _match(a: str, b: str) -> bool:
    return a == b or a.lower() == b.lower()


def _port_matches(req: RecordRequest, name: str, protocol: str) -> bool:
    return (not req.port or _match(req.port, name)) and (not req.protocol or _match(req.protocol, protocol))


@dataclass(slots=True)
class Records:
    """Lookups over a `ClusterIndex` for the cluster domain `zone` (e.g. "cluster.local.")."""

    index: ClusterIndex
    zone: str
    ttl: int = DEFAULT_TTL

    def lookup(self, req: RecordRequest) -> list[Entry]:
        """Entries for a parsed forward name; raises NoSuchName."""
        if not req.kind:
            return []
        if not self.index.namespace_exists(req.namespace):
            if not req.namespace:
                return []  # "svc.<zone>": exists, holds nothing
            raise NoSuchName(req.namespace)
        if req.kind == POD:
            return self.pods(req)
        return self.services(req)

    def pods(self, req: RecordRequest) -> list[Entry]:
        if not req.service:
            return []
        ip = pod_address(req.service)
        if not ip:
            raise NoSuchName(req.service)
        return [Entry(ip, f"{req.service}.{req.namespace}.{POD}.{self.zone}", ttl=self.ttl)]

    def services(self, req: RecordRequest) -> list[Entry]:
        if not req.service:
            return []
        out: list[Entry] = []
        found = False
        for svc in self.index.services_named(req.service, req.namespace):
            spec = svc.get("spec") or {}
            md = svc["metadata"]
            domain = f"{md['name']}.{md.get('namespace', '')}.{SVC}.{self.zone}"
            if spec.get("type") == "ExternalName":
                if req.endpoint or req.port or req.protocol:
                    continue
                entry = Entry(str(spec.get("externalName", "")).rstrip(".") + ".", domain, ttl=self.ttl)
                if entry.is_name and entry.host != ".":
                    out.append(entry)
                    found = True
                continue
            ips = cluster_ips(svc) or ["None"]
            if ips[0] == "None" or req.endpoint:
                entries = self._endpoints(svc, req, domain)
                found = found or bool(entries)
                out += entries
                continue
            for p in spec.get("ports") or [{"port": -1}]:
                if not _port_matches(req, p.get("name") or "", p.get("protocol") or "TCP"):
                    continue
                found = True
                out += [Entry(ip, domain, p.get("port", -1), self.ttl) for ip in ips]
        if not found:
            raise NoSuchName(req.service)
        return out

    def _endpoints(self, svc: Object, req: RecordRequest, domain: str) -> list[Entry]:
        md = svc["metadata"]
        out = []
        for eps in self.index.endpoints_of_service(md["name"], md.get("namespace", "")):
            for a in eps.addresses:
                host = endpoint_hostname(a)
                if req.endpoint and not _match(req.endpoint, host):
                    continue
                out += [
                    Entry(a.ip, f"{host}.{domain}", p.port, self.ttl)
                    for p in eps.ports
                    if _port_matches(req, p.name, p.protocol)
                ]
        return out

    def reverse(self, ip: str) -> list[str]:
        """The names an address has: a service's, else every endpoint's that has it."""
        for svc in self.index.services_with_ip(ip):
            md = svc["metadata"]
            return [f"{md['name']}.{md.get('namespace', '')}.{SVC}.{self.zone}"]
        names = []
        for eps in self.index.endpoints_with_ip(ip):
            names += [
                f"{endpoint_hostname(a)}.{eps.service}.{eps.namespace}.{SVC}.{self.zone}"
                for a in eps.addresses
                if a.ip == ip
            ]
        return names


__all__ = ["Address", "Endpoints", "Entry", "NoSuchName", "Port", "Records"]
