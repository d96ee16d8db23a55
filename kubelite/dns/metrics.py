"""The Prometheus metrics of `kubelite dns`, under CoreDNS's names and labels.

    coredns_dns_requests_total{server,zone,view,proto,family,type}      questions received
    coredns_dns_responses_total{server,zone,view,rcode,plugin}          replies by rcode and by
                                                                        who wrote them
                                                                        (kubernetes, cache,
                                                                        forward)
    coredns_dns_request_duration_seconds{server,zone,view}              time to reply
    coredns_cache_hits_total{server,type,zones,view}                    cache: success/denial
    coredns_cache_misses_total{server,zones,view}
    coredns_cache_entries{server,type,zones,view}

`server` is "dns://:<port>" and `zone` "." (the one server block of kubeadm's Corefile);
`type` is the question's type for the common types and "other" for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dns.rdatatype
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# CoreDNS's plugin.TimeBuckets: 0.25 ms doubling sixteen times.
TIME_BUCKETS = tuple(0.00025 * 2**i for i in range(16))
_MONITORED = {
    "A", "AAAA", "NS", "PTR", "SOA", "CNAME", "MX", "TXT", "SRV", "NAPTR", "DS", "DNSKEY", "RRSIG",
    "NSEC", "NSEC3", "HINFO", "IXFR", "AXFR", "ANY", "HTTPS", "SVCB", "CAA",
}  # fmt: skip


def type_label(rdtype: int) -> str:
    text = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))
    return text if text in _MONITORED else "other"


@dataclass(slots=True)
class DNSMetrics:
    server: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    requests: Counter = field(init=False)
    responses: Counter = field(init=False)
    duration: Histogram = field(init=False)
    cache_hits: Counter = field(init=False)
    cache_misses: Counter = field(init=False)
    cache_entries: Gauge = field(init=False)
    _children: dict[tuple[str, int, int, str, str], tuple[Any, Any, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "coredns_dns_requests",
            "Counter of DNS requests made per zone, protocol and family.",
            ["server", "zone", "view", "proto", "family", "type"],
            registry=r,
        )
        self.responses = Counter(
            "coredns_dns_responses",
            "Counter of response status codes.",
            ["server", "zone", "view", "rcode", "plugin"],
            registry=r,
        )
        self.duration = Histogram(
            "coredns_dns_request_duration_seconds",
            "Histogram of the time (in seconds) each request took per zone.",
            ["server", "zone", "view"],
            buckets=TIME_BUCKETS,
            registry=r,
        )
        self.cache_hits = Counter(
            "coredns_cache_hits", "The count of cache hits.", ["server", "type", "zones", "view"], registry=r
        )
        self.cache_misses = Counter(
            "coredns_cache_misses", "The count of cache misses.", ["server", "zones", "view"], registry=r
        )
        self.cache_entries = Gauge(
            "coredns_cache_entries",
            "The number of elements in the cache.",
            ["server", "type", "zones", "view"],
            registry=r,
        )

    def observe(
        self, *, proto: str, family: int, rdtype: int, rcode: str, plugin: str, seconds: float
    ) -> None:
        key = (proto, family, rdtype, rcode, plugin)
        children = self._children.get(key)
        if children is None:  # looking a labelled child up costs more than counting: once each
            s = self.server
            children = self._children[key] = (
                self.requests.labels(s, ".", "", proto, str(family), type_label(rdtype)),
                self.responses.labels(s, ".", "", rcode, plugin),
                self.duration.labels(s, ".", ""),
            )
        children[0].inc()
        children[1].inc()
        children[2].observe(seconds)

    def cache_hit(self, denial: bool) -> None:
        self.cache_hits.labels(self.server, "denial" if denial else "success", ".", "").inc()

    def cache_miss(self) -> None:
        self.cache_misses.labels(self.server, ".", "").inc()

    def cache_size(self, success: int, denial: int) -> None:
        self.cache_entries.labels(self.server, "success", ".", "").set(success)
        self.cache_entries.labels(self.server, "denial", ".", "").set(denial)
