"""Answers for the cluster's zones, record type by record type, as CoreDNS gives them.

    query (name, type)
      └─ zone?  cluster.local. / in-addr.arpa. / ip6.arpa.   none → not ours (forwarded)
          ├─ A / AAAA    addresses of the entries; an ExternalName entry becomes a CNAME
          │              followed by the target's addresses (from upstream outside the zone)
          ├─ SRV         one record per entry and port, targets with their address in extra
          ├─ PTR         service IP → service name, endpoint IP → endpoint names
          ├─ CNAME       the ExternalName target
          ├─ TXT         dns-version.<zone> → "1.1.0"; other names exist or not, no TXT
          ├─ SOA / NS    at the zone apex only; AXFR / IXFR refused
          └─ other       NODATA for a name that exists
      no such name  → NXDOMAIN with the zone's SOA in authority, except in the reverse zones,
                      where the question goes on to the upstream resolvers (Corefile:
                      `fallthrough in-addr.arpa ip6.arpa`); SERVFAIL until the caches synced
      no records    → NOERROR with the SOA in authority (NODATA)

Every record carries the TTL of the zone (30 s); the SOA's minimum TTL is the same.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.NS
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.SOA
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rdtypes.IN.SRV
import dns.rrset

from kubelite.dns.cluster import cluster_ips
from kubelite.dns.names import InvalidName, address_from_reverse, is_reverse, parse_request
from kubelite.dns.records import Entry, NoSuchName, Records

T = dns.rdatatype
IN = dns.rdataclass.IN
DNS_SCHEMA_VERSION = "1.1.0"
MAX_CNAME_CHAIN = 10
REVERSE_ZONES = ("in-addr.arpa.", "ip6.arpa.")
# An upstream look-up of an ExternalName's target: (name, type) → the reply, or None.
Upstream = Callable[[str, int], Awaitable[dns.message.Message | None]]


class Refused(Exception):
    """Zone transfers are not served."""


@dataclass(slots=True)
class Section:
    """RRsets in the order they were first added, one per (name, type)."""

    rrsets: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = field(default_factory=dict)

    def add(self, name: dns.name.Name, ttl: int, rd: dns.rdata.Rdata) -> bool:
        key = (name, rd.rdtype)
        rrset = self.rrsets.get(key)
        if rrset is None:
            rrset = self.rrsets[key] = dns.rrset.RRset(name, IN, rd.rdtype)
        before = len(rrset)
        rrset.add(rd, ttl)
        return len(rrset) > before

    def extend(self, rrsets: list[dns.rrset.RRset]) -> None:
        for rrset in rrsets:
            for rd in rrset:
                self.add(rrset.name, rrset.ttl, rd)

    def __bool__(self) -> bool:
        return bool(self.rrsets)

    def __len__(self) -> int:
        return sum(len(r) for r in self.rrsets.values())

    def list(self) -> list[dns.rrset.RRset]:
        return list(self.rrsets.values())


@dataclass(slots=True)
class Reply:
    rcode: int = dns.rcode.NOERROR
    answer: Section = field(default_factory=Section)
    extra: Section = field(default_factory=Section)
    authority: Section = field(default_factory=Section)
    # False when the reply holds more than the cluster's state (an upstream's answer)
    from_cluster_only: bool = True


_RDATA: dict[int, Any] = {
    T.A: dns.rdtypes.IN.A.A,
    T.AAAA: dns.rdtypes.IN.AAAA.AAAA,
    T.SRV: dns.rdtypes.IN.SRV.SRV,
    T.PTR: dns.rdtypes.ANY.PTR.PTR,
    T.NS: dns.rdtypes.ANY.NS.NS,
    T.CNAME: dns.rdtypes.ANY.CNAME.CNAME,
    T.SOA: dns.rdtypes.ANY.SOA.SOA,
    T.TXT: dns.rdtypes.ANY.TXT.TXT,
}


def rdata(rdtype: int, *fields: Any) -> dns.rdata.Rdata:
    """A record's data of `rdtype` from its fields (dnspython's constructors, untyped)."""
    rd: dns.rdata.Rdata = _RDATA[rdtype](IN, rdtype, *fields)
    return rd


def _address(host: str, family: int) -> dns.rdata.Rdata:
    return rdata(T.AAAA if family == 6 else T.A, host)


def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


@dataclass(slots=True)
class ClusterZones:
    """The kubernetes plugin: `records` for the cluster zone, plus the reverse zones."""

    records: Records
    upstream: Upstream | None = None
    local_ips: tuple[str, ...] = ()  # where this server listens: the NS records' addresses

    @property
    def zones(self) -> tuple[str, ...]:
        return (self.records.zone, *REVERSE_ZONES)

    def zone_of(self, name: str) -> str | None:
        """The longest zone `name` (lower case, fully qualified) falls in; None if in none."""
        best = None
        for z in self.zones:
            if (name == z or name.endswith("." + z)) and (best is None or len(z) > len(best)):
                best = z
        return best

    async def answer(self, qname: dns.name.Name, qtype: int) -> Reply | None:
        """The reply for a question in one of the zones; None: the question is not ours."""
        name = qname.to_text().lower()
        zone = self.zone_of(name)
        if zone is None:
            return None
        reply = Reply()
        try:
            await self._by_type(reply, qname, name, zone, qtype)
        except (NoSuchName, InvalidName):
            if zone in REVERSE_ZONES:
                return None
            synced = self.records.index.synced()
            reply = Reply(dns.rcode.NXDOMAIN if synced else dns.rcode.SERVFAIL)
            reply.authority.add(_name(zone), min(self.records.ttl, 300), self._soa(zone))
            return reply
        except Refused:
            return Reply(dns.rcode.REFUSED)
        if not reply.answer:
            reply = Reply(from_cluster_only=reply.from_cluster_only)
            reply.authority.add(_name(zone), min(self.records.ttl, 300), self._soa(zone))
        return reply

    async def _by_type(self, reply: Reply, qname: dns.name.Name, name: str, zone: str, qtype: int) -> None:
        if qtype in (T.A, T.AAAA):
            reply.from_cluster_only = await self._addresses(reply.answer, qname, name, zone, qtype, [])
        elif qtype == T.SRV:
            await self._srv(reply, qname, name, zone)
        elif qtype == T.PTR:
            self._ptr(reply, qname, name, zone)
        elif qtype == T.CNAME:
            entries = self._entries(name, zone, qtype)
            if entries and entries[0].is_name:
                reply.answer.add(qname, entries[0].ttl, self._cname(entries[0].host))
        elif qtype == T.TXT:
            self._txt(reply, qname, name, zone)
        elif qtype == T.SOA:
            if name == zone:
                reply.answer.add(qname, min(self.records.ttl, 300), self._soa(zone))
        elif qtype in (T.AXFR, T.IXFR):
            raise Refused()
        elif qtype == T.NS and name == zone:
            self._ns(reply, qname, zone)
        else:
            self._entries(name, zone, T.A)  # NXDOMAIN or NODATA, as for an A question

    # ---- entries: the plugin's Services() ------------------------------------------------

    def _entries(self, name: str, zone: str, qtype: int) -> list[Entry]:
        if name == f"ns.dns.{zone}":
            return self._ns_entries(zone)
        if name == zone:  # the apex holds no records of these types
            return []
        req = parse_request(name, zone)
        if not req.kind:
            return []
        if is_reverse(name):
            raise NoSuchName(name)
        entries = self.records.lookup(req)
        if qtype == T.SRV:
            entries = [e for e in entries if not e.is_name]  # no SRV for ExternalName
        return entries

    def _ns_entries(self, zone: str) -> list[Entry]:
        """Who serves the zone: the Services whose endpoints are this server's addresses,
        else the addresses themselves under ns.dns.<zone>."""
        out = []
        index = self.records.index
        for ip in self.local_ips:
            for eps in index.endpoints_with_ip(ip):
                for svc in index.services_named(eps.service, eps.namespace):
                    domain = f"{eps.service}.{eps.namespace}.svc.{zone}"
                    ips = [c for c in cluster_ips(svc) if c != "None"]
                    out += [Entry(c, domain, ttl=self.records.ttl) for c in ips]
        return out or [Entry(ip, f"ns.dns.{zone}", ttl=self.records.ttl) for ip in self.local_ips]

    # ---- record types ----------------------------------------------------------------------

    async def _addresses(
        self, out: Section, qname: dns.name.Name, name: str, zone: str, qtype: int, chain: list[str]
    ) -> bool:
        """Adds the addresses; False when an upstream was asked for some of them."""
        own = True
        family = 6 if qtype == T.AAAA else 4
        for e in self._entries(name, zone, qtype):
            if not e.is_name:
                if e.family == family:
                    out.add(qname, e.ttl, _address(e.host, family))
                continue
            target = e.host.lower()
            if target == name or len(chain) > MAX_CNAME_CHAIN or target in chain:
                continue
            if target == zone or target.endswith("." + zone):
                inner = Section()
                try:
                    own &= await self._addresses(inner, _name(e.host), target, zone, qtype, [*chain, target])
                except NoSuchName:
                    continue
                if inner:
                    out.add(qname, e.ttl, self._cname(e.host))
                    out.extend(inner.list())
                continue
            own = False
            reply = await self.upstream(e.host, qtype) if self.upstream else None
            if reply is None:
                continue
            out.add(qname, e.ttl, self._cname(e.host))
            out.extend(reply.answer)
        return own

    async def _srv(self, reply: Reply, qname: dns.name.Name, name: str, zone: str) -> None:
        entries = self._entries(name, zone, T.SRV)
        weight = max(1, math.floor(100 / len(entries))) if entries else 0
        seen: set[tuple[str, int]] = set()
        for e in entries:
            if e.port == -1:
                continue
            target = _name(e.domain)
            if (e.domain, e.port) not in seen:
                seen.add((e.domain, e.port))
                reply.answer.add(qname, e.ttl, rdata(T.SRV, 0, weight, e.port, target))
            reply.extra.add(target, e.ttl, _address(e.host, e.family))

    def _ptr(self, reply: Reply, qname: dns.name.Name, name: str, zone: str) -> None:
        ip = address_from_reverse(name)
        if not ip:
            self._entries(name, zone, T.PTR)  # raises: a partial reverse name has no records
            return
        names = self.records.reverse(ip)
        if not names:
            raise NoSuchName(name)
        for n in names:
            reply.answer.add(qname, self.records.ttl, rdata(T.PTR, _name(n)))

    def _txt(self, reply: Reply, qname: dns.name.Name, name: str, zone: str) -> None:
        if name == f"dns-version.{zone}":
            reply.answer.add(qname, 28800, rdata(T.TXT, [DNS_SCHEMA_VERSION.encode()]))
            return
        if not self._entries(name, zone, T.TXT):
            raise NoSuchName(name)

    def _ns(self, reply: Reply, qname: dns.name.Name, zone: str) -> None:
        for e in self._ns_entries(zone):
            target = _name(e.domain)
            reply.answer.add(qname, e.ttl, rdata(T.NS, target))
            reply.extra.add(target, e.ttl, _address(e.host, e.family))

    def _cname(self, target: str) -> dns.rdata.Rdata:
        return rdata(T.CNAME, _name(target))

    def _soa(self, zone: str) -> dns.rdata.Rdata:
        return rdata(
            T.SOA,
            _name(f"ns.dns.{zone}"),
            _name(f"hostmaster.{zone}"),
            self.records.index.serial,
            7200,
            1800,
            86400,
            self.records.ttl,
        )
