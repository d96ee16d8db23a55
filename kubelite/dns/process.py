"""Running `kubelite dns`: informers, the DNS server, its HTTP endpoints, its endpoints.

    start   informers on Services, EndpointSlices and Namespaces (indexed for the lookups,
            cluster.py); serve DNS on --bind-address:--port over UDP and TCP once they have
            synced, or after 5 s without (CoreDNS: "starting server with unsynced
            Kubernetes API"; NXDOMAIN becomes SERVFAIL until then); /health, /ready,
            /metrics; with --publish-service, the Service and this server's endpoints
            (publish.py), retried until the API server takes them
    stop    (cancelled) the endpoints withdrawn (bounded), the servers closed

The upstream resolvers are --upstream, or else the nameservers of --resolv-conf.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubelite.api.types import Object
from kubelite.client.informer import SharedInformerFactory
from kubelite.dns.answer import ClusterZones
from kubelite.dns.cache import Cache
from kubelite.dns.cluster import SERVICE_INDEXES, SLICE_INDEXES, ClusterIndex
from kubelite.dns.forward import Forwarder, resolv_conf_nameservers, upstreams
from kubelite.dns.metrics import DNSMetrics
from kubelite.dns.publish import Publication, publish, withdraw
from kubelite.dns.records import DEFAULT_TTL, Records
from kubelite.dns.server import DNSServer, Handler
from kubelite.dns.serving import HTTPEndpoints
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.dns")
SYNC_WAIT = 5.0


@dataclass(slots=True)
class DNSOptions:
    kubeconfig: Path | None = None
    bind_address: str = "0.0.0.0"
    port: int = 53  # 0: a free port
    cluster_domain: str = "cluster.local"
    ttl: int = DEFAULT_TTL
    resolv_conf: Path = Path("/etc/resolv.conf")
    upstreams: tuple[str, ...] = ()  # instead of resolv.conf's nameservers
    forward_timeout: float = 2.0
    cache_ttl: float = 30.0
    http_bind_address: str = "0.0.0.0"
    health_port: int = 8080
    ready_port: int = 8181
    metrics_port: int = 9153
    # --publish-service NAMESPACE/NAME: keep that Service and this server's endpoints
    publish_service: str = ""
    service_ip: str = ""
    advertise_address: str = ""
    instance: str = field(default_factory=lambda: socket.gethostname().lower())


@dataclass(slots=True)
class _Changes:
    """The informers' handler: any change moves the SOA serial and outdates remembered replies."""

    index: ClusterIndex

    def on_add(self, obj: Object, is_initial_list: bool) -> None:
        self.index.touch()

    def on_update(self, old: Object, new: Object) -> None:
        self.index.touch()

    def on_delete(self, obj: Object) -> None:
        self.index.touch()


class ClusterDNS:
    def __init__(self, options: DNSOptions, client: Any, *, clock: Clock | None = None) -> None:
        self.options = options
        self.client = client
        self.clock = clock or RealClock()
        self.informers = SharedInformerFactory(client, clock=self.clock)
        informers = (
            self.informers.informer("services", indexers=SERVICE_INDEXES),
            self.informers.informer("endpointslices", group="discovery.k8s.io", indexers=SLICE_INDEXES),
            self.informers.informer("namespaces"),
        )
        self.index = ClusterIndex(
            informers[0].indexer,
            informers[1].indexer,
            informers[2].indexer,
            synced=lambda: all(i.has_synced() for i in informers),
        )
        for inf in informers:
            inf.add_event_handler(_Changes(self.index))
        o = options
        zone = o.cluster_domain.strip(".").lower() + "."
        servers = list(o.upstreams) or resolv_conf_nameservers(o.resolv_conf)
        avoid = {(a, o.port) for a in (o.bind_address, o.advertise_address) if a}
        if o.service_ip:
            avoid.add((o.service_ip, 53))
        self.forwarder = Forwarder(upstreams(servers, avoid), timeout=o.forward_timeout)
        local = tuple(a for a in (o.advertise_address, o.bind_address) if a and a not in ("0.0.0.0", "::"))
        self.zones = ClusterZones(
            Records(self.index, zone, o.ttl), upstream=self.forwarder.lookup, local_ips=local[:1]
        )
        self.metrics = DNSMetrics(f"dns://:{o.port}")
        self.cache = Cache(max_ttl=o.cache_ttl, clock=self.clock)
        self.server = DNSServer(
            Handler(self.zones, self.forwarder, self.cache, self.metrics), o.bind_address, o.port
        )
        self.http = HTTPEndpoints(
            self.metrics.registry,
            self.index.synced,
            host=o.http_bind_address,
            health_port=o.health_port,
            ready_port=o.ready_port,
            metrics_port=o.metrics_port,
        )
        self.publication: Publication | None = None

    async def run(self, ready: asyncio.Event | None = None) -> None:
        self.informers.start()
        try:
            await self.http.start()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.informers.wait_for_cache_sync(), SYNC_WAIT)
            if not self.index.synced():
                log.warning("starting server with unsynced Kubernetes API")
            await self.server.start()
            log.info("serving DNS", extra={"address": self.options.bind_address, "port": self.server.port})
            if ready is not None:
                ready.set()
            async with asyncio.TaskGroup() as tg:
                if self.options.publish_service:
                    tg.create_task(self._publish())
                tg.create_task(asyncio.Event().wait())  # until cancelled
        finally:
            await asyncio.shield(self._stop())

    async def _publish(self) -> None:
        o = self.options
        namespace, _, name = o.publish_service.partition("/")
        await self.informers.wait_for_cache_sync()
        self.publication = Publication(
            namespace=namespace,
            name=name,
            service_ip=o.service_ip,
            address=o.advertise_address or o.bind_address,
            dns_port=self.server.port,
            metrics_port=self.http.bound.get("/metrics", o.metrics_port),
            instance=o.instance,
        )
        delay = 0.2
        while True:
            try:
                await publish(self.client, self.publication, ready=True)
                return
            except Exception as err:  # the API server may not be there yet; keep trying
                log.warning("could not publish the DNS endpoints: %s", err)
                await self.clock.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _stop(self) -> None:
        if self.publication is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(withdraw(self.client, self.publication), 5.0)
        await self.server.close()
        await self.http.close()
        await self.informers.shutdown()
