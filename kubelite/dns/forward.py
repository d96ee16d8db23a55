"""Forwarding: questions outside the cluster's zones go to the host's resolvers.

As CoreDNS's `forward . /etc/resolv.conf`: the upstreams are the `nameserver` lines of the
host's resolv.conf (never this server's own addresses, nor the cluster DNS address, which
would send questions in a loop), tried in random order, each for at most `timeout`
seconds; a question that came over TCP goes over TCP, one over UDP over UDP (a truncated
upstream reply is passed on truncated, and the client asks again over TCP). When no
upstream answers, the client gets SERVFAIL.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from pathlib import Path

import dns.asyncquery
import dns.exception
import dns.message
import dns.rdatatype

log = logging.getLogger("kubelite.dns.forward")


@dataclass(slots=True, frozen=True)
class Upstream:
    host: str
    port: int = 53

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_upstream(text: str) -> Upstream:
    """`1.2.3.4`, `1.2.3.4:5353`, `[fd00::1]:53`."""
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
        return Upstream(host.rstrip("]"), int(port) if port else 53)
    if text.count(":") == 1:
        host, port = text.split(":")
        return Upstream(host, int(port))
    return Upstream(text)


def resolv_conf_nameservers(path: Path) -> list[str]:
    """The `nameserver` addresses of a resolv.conf, in order ([] when it cannot be read)."""
    try:
        text = path.read_text()
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            out.append(fields[1])
    return out


def upstreams(candidates: list[str], avoid: set[tuple[str, int]]) -> list[Upstream]:
    """The upstreams to use: `candidates` except the addresses in `avoid` (our own)."""
    out = []
    for text in candidates:
        u = parse_upstream(text)
        if (u.host, u.port) in avoid:
            log.warning("not forwarding to %s: that is this server", u)
            continue
        out.append(u)
    return out


@dataclass(slots=True)
class Forwarder:
    servers: list[Upstream]
    timeout: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    requests: int = 0

    async def forward(self, query: dns.message.Message, *, tcp: bool) -> dns.message.Message | None:
        """The first upstream reply to `query` (with the client's id), or None if none answered."""
        order = list(self.servers)
        self.rng.shuffle(order)
        for u in order:
            self.requests += 1
            try:
                if tcp:
                    reply = await dns.asyncquery.tcp(query, u.host, timeout=self.timeout, port=u.port)
                else:
                    reply = await dns.asyncquery.udp(
                        query, u.host, timeout=self.timeout, port=u.port, raise_on_truncation=False
                    )
            except (OSError, dns.exception.DNSException, EOFError) as err:
                log.info("upstream did not answer", extra={"upstream": str(u), "error": str(err)})
                continue
            reply.id = query.id
            return reply
        return None

    async def lookup(self, name: str, rdtype: int) -> dns.message.Message | None:
        """A recursive look-up of its own (an ExternalName's target)."""
        return await self.forward(
            dns.message.make_query(name, dns.rdatatype.RdataType.make(rdtype)), tcp=False
        )
