"""The answer cache for forwarded questions (Corefile: `cache 30`).

A reply is kept for the smallest TTL among its records - the SOA's minimum for a negative
one - capped at 30 s and at least 5 s, as CoreDNS's cache keeps it; when served again every
TTL is what is left of that time. SERVFAIL and truncated replies are not
kept. Keys are (name, type, class, DO bit), the name without regard to case. The cache is
bounded: past `capacity` entries the oldest is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from kubelite.util.clock import Clock, RealClock

Key = tuple[str, int, int, bool]


@dataclass(slots=True)
class _Item:
    reply: dns.message.Message
    expires: float
    denial: bool  # NXDOMAIN or NODATA


def key_of(query: dns.message.Message) -> Key | None:
    if len(query.question) != 1:
        return None
    q = query.question[0]
    return (q.name.to_text().lower(), q.rdtype, q.rdclass, bool(query.ednsflags & dns.flags.DO))


def _ttl(reply: dns.message.Message) -> float | None:
    if reply.answer:
        return float(min(r.ttl for r in reply.answer))
    soas = [r for r in reply.authority if r.rdtype == dns.rdatatype.SOA]
    if soas:
        return float(min(min(r.ttl, int(r[0].minimum)) for r in soas))
    return None


@dataclass(slots=True)
class Cache:
    max_ttl: float = 30.0
    min_ttl: float = 5.0
    capacity: int = 10_000
    clock: Clock = field(default_factory=RealClock)
    _items: OrderedDict[Key, _Item] = field(default_factory=OrderedDict)
    hits: int = 0
    misses: int = 0
    denials: int = 0  # how many of the entries are negative

    def _drop(self, key: Key) -> None:
        item = self._items.pop(key)
        self.denials -= item.denial

    def get(self, query: dns.message.Message) -> dns.message.Message | None:
        """A copy of the cached reply to `query` (its id and TTLs adjusted), or None."""
        key = key_of(query)
        item = self._items.get(key) if key else None
        now = self.clock.now()
        if item is None or now >= item.expires:
            if item is not None and key is not None:
                self._drop(key)
            self.misses += 1
            return None
        self.hits += 1
        remaining = int(item.expires - now)
        reply = dns.message.from_wire(item.reply.to_wire())
        reply.id = query.id
        for section in (reply.answer, reply.authority, reply.additional):
            for rrset in section:
                rrset.ttl = remaining
        return reply

    def put(self, query: dns.message.Message, reply: dns.message.Message) -> None:
        key = key_of(query)
        if key is None or reply.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            return
        if reply.flags & dns.flags.TC:
            return
        ttl = _ttl(reply)
        if ttl is None:
            return
        now = self.clock.now()
        ttl = min(max(ttl, self.min_ttl), self.max_ttl)
        if key in self._items:
            self._drop(key)
        denial = reply.rcode() == dns.rcode.NXDOMAIN or not reply.answer
        self._items[key] = _Item(reply, now + ttl, denial)
        self.denials += denial
        while len(self._items) > self.capacity:
            self._drop(next(iter(self._items)))

    def __len__(self) -> int:
        return len(self._items)
