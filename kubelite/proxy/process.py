"""The `kubelite proxy` process: informers → change tracker → bounded runner → proxier.

    Services ──────┐                                   ┌─▶ proxier.sync(snapshot)  (a thread)
    EndpointSlices ┼─▶ ChangeTracker (pending keys) ──▶│   BoundedFrequencyRunner:
    Node (ours) ───┘    handlers: record + run()        └── ≥ min period apart, ≤ sync period

One per node and no leader election (each node's proxy programs its own node). On start
it removes the other modes' rules (as kube-proxy does), installs the Services' range
route (servicerange.py), serves /healthz and /livez (--healthz-bind-address) and
/metrics (--metrics-bind-address), then syncs once the informers have listed everything.
Every --iptables-sync-period the sync is a full one, repairing whatever else changed the
tables; in between, only changed services are rewritten.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CollectorRegistry

from kubelite.client.informer import Handlers, SharedInformerFactory
from kubelite.client.rest import Client
from kubelite.proxy import servicerange
from kubelite.proxy.changes import ChangeTracker
from kubelite.proxy.healthz import ProxyHealth, health_app, serve
from kubelite.proxy.metrics import ProxyMetrics
from kubelite.proxy.netcmd import CommandError, Runner
from kubelite.proxy.options import ProxyOptions
from kubelite.proxy.proxier import Proxier, SyncResult
from kubelite.proxy.runner import BoundedFrequencyRunner
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.proxy")
MODES = ("iptables", "nftables", "userspace")  # the modes built, each cleaning up the others on start


def make_proxier(options: ProxyOptions, mode: str, runner: Runner) -> Proxier:
    """The proxier of `mode` for these options."""
    if mode == "iptables":
        from kubelite.proxy.iptables.proxier import IptablesProxier
        from kubelite.proxy.iptables.rules import RulesConfig

        config = RulesConfig(
            cluster_cidr=options.cluster_cidr,
            masquerade_mark=options.masquerade_mark,
            masquerade_all=options.masquerade_all,
            node_ips=node_port_ips(options.nodeport_addresses, runner),
        )
        return IptablesProxier(config, runner)
    if mode == "nftables":
        from kubelite.proxy.nftables.proxier import NftablesProxier
        from kubelite.proxy.nftables.rules import NftConfig

        nft = NftConfig(
            cluster_cidr=options.cluster_cidr,
            service_cidr=options.service_cluster_ip_range,
            masquerade_mark=options.masquerade_mark,
            masquerade_all=options.masquerade_all,
            node_ips=node_port_ips(options.nodeport_addresses, runner),
        )
        return NftablesProxier(nft, runner)
    if mode == "userspace":
        from kubelite.proxy.userspace.proxier import UserspaceProxier

        return UserspaceProxier(runner, scheduler=options.ipvs_scheduler, bind=options.bind_address)
    raise ValueError(f"unknown proxy mode {mode!r}")


def node_port_ips(cidrs: tuple[str, ...], runner: Runner) -> tuple[str, ...]:
    """The node's IPv4 addresses inside --nodeport-addresses (() when not set: all)."""
    if not cidrs:
        return ()
    import ipaddress
    import json

    nets = [ipaddress.ip_network(c) for c in cidrs]
    links = json.loads(runner.run("ip", "-j", "-4", "addr", "show").stdout or "[]")
    ips = [a["local"] for link in links for a in link.get("addr_info", []) if a.get("family") == "inet"]
    return tuple(ip for ip in ips if any(ipaddress.ip_address(ip) in net for net in nets))


def cleanup_all(options: ProxyOptions, runner: Runner, *, keep: str = "") -> None:
    """Remove every mode's rules but `keep`'s (`--cleanup`: all of them, and the route)."""
    for mode in MODES:
        if mode != keep:
            try:
                make_proxier(options, mode, runner).cleanup()
            except CommandError as err:
                log.warning("cleaning up %s rules failed: %s", mode, err)
    if not keep:
        servicerange.remove(options.service_cluster_ip_range, runner)


class ProxyServer:
    """One proxy process's parts, wired; `run()` until cancelled."""

    def __init__(
        self,
        options: ProxyOptions,
        client: Client,
        proxier: Proxier,
        *,
        runner: Runner | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.options = options
        self.client = client
        self.proxier = proxier
        self.net = runner or Runner()
        self.clock = clock or RealClock()
        self.registry = CollectorRegistry()
        self.metrics = ProxyMetrics(self.registry)
        self.health = ProxyHealth(self.clock, 2 * options.sync_period)
        self.tracker = ChangeTracker(options.node_name)
        self.runner = BoundedFrequencyRunner(
            self.sync,
            min_interval=options.min_sync_period,
            max_interval=options.sync_period,
            clock=self.clock,
        )
        self.service_range = servicerange.ServiceRange(options.service_cluster_ip_range, self.net)
        self.last_full = -float("inf")
        self._seen_changes = (0, 0)  # the tracker's change counts at the last sync
        self.last_result: SyncResult | None = None
        self.healthz_port = 0
        self.metrics_port = 0

    def _changed(self, record: Callable[[], None]) -> None:
        record()
        self.health.queued()
        self.metrics.last_queued.set(time.time())
        self.runner.run()

    def _handlers(self, updated: Callable[..., None]) -> Handlers:
        return Handlers(
            add=lambda o: self._changed(lambda: updated(o)),
            update=lambda _old, new: self._changed(lambda: updated(new)),
            delete=lambda o: self._changed(lambda: updated(o, deleted=True)),
        )

    def _node_changed(self, node: dict[str, object]) -> None:
        self.health.sync_node(node)

    async def sync(self) -> None:
        """One sync: take the changes, program the node, record how it went."""
        before = (self.tracker.service_changes, self.tracker.endpoint_changes)
        snapshot = self.tracker.take()
        self.metrics.service_changes.inc(before[0] - self._seen_changes[0])
        self.metrics.endpoint_changes.inc(before[1] - self._seen_changes[1])
        self._seen_changes = before
        if self.clock.now() - self.last_full >= self.options.sync_period and hasattr(
            self.proxier, "need_full"
        ):
            self.proxier.need_full = True
        partial = not getattr(self.proxier, "need_full", True)
        started = time.perf_counter()
        try:
            result = await asyncio.to_thread(self.proxier.sync, snapshot)
            if snapshot.changed or result.full:
                ips = {s.cluster_ip for s in snapshot.services.values()}
                await asyncio.to_thread(self.service_range.sync, ips)
        except Exception as err:
            log.error("sync of proxy rules failed; retrying: %s", err)
            failures = self.metrics.nftables_failures if self.proxier.mode == "nftables" else None
            if failures is not None:
                failures.inc()
            else:
                self.metrics.restore_failures.inc()
                if partial:
                    self.metrics.partial_restore_failures.inc()
            self.runner.retry_after(self.options.min_sync_period)
            return
        took = time.perf_counter() - started
        self.metrics.sync_duration.observe(took)
        (self.metrics.full_sync_duration if result.full else self.metrics.partial_sync_duration).observe(took)
        if result.full:
            self.last_full = self.clock.now()
        for table, count in result.rules.items():
            self.metrics.rules_total.labels(table).set(count)
        for table, count in result.written.items():
            self.metrics.rules_last.labels(table).set(count)
        self.metrics.no_local_endpoints.labels("internal").set(result.no_local_internal)
        self.metrics.no_local_endpoints.labels("external").set(result.no_local_external)
        self.metrics.last_sync.set(time.time())
        self.last_result = result
        if not self.tracker.pending():
            self.health.updated()
        log.debug("synced proxy rules", extra={"full": result.full, "services": len(snapshot.services)})

    async def run(self, ready: asyncio.Event | None = None) -> None:
        o = self.options
        attach = getattr(self.proxier, "attach", None)
        if attach is not None:  # the userspace relays live on this loop
            attach(asyncio.get_running_loop())
        cleanup_all(o, self.net, keep=self.proxier.mode)
        try:
            self.service_range.install()
        except CommandError as err:
            log.warning("cannot make the Services' range unreachable: %s", err)
        runners: list[web.AppRunner] = []
        try:
            r, self.healthz_port = await serve(health_app(self.health, self.metrics), o.healthz_bind_address)
            runners.append(r)
            r, self.metrics_port = await serve(
                health_app(self.health, self.metrics, self.registry), o.metrics_bind_address
            )
            runners.append(r)
            await self._run_informers(ready)
        finally:
            for r in runners:
                await r.cleanup()

    async def _run_informers(self, ready: asyncio.Event | None) -> None:
        factory = SharedInformerFactory(self.client, clock=self.clock)
        nodes = SharedInformerFactory(
            self.client, clock=self.clock, field_selector=f"metadata.name={self.options.node_name}"
        )
        factory.informer("services").add_event_handler(self._handlers(self.tracker.service_updated))
        factory.informer("endpointslices", group="discovery.k8s.io", version="v1").add_event_handler(
            self._handlers(self.tracker.slice_updated)
        )
        nodes.informer("nodes").add_event_handler(
            Handlers(add=self._node_changed, update=lambda _o, new: self._node_changed(new))
        )
        factory.start()
        nodes.start()
        try:
            await factory.wait_for_cache_sync()
            if ready is not None:
                ready.set()
            await self.runner.loop()
        finally:
            await factory.shutdown()
            await nodes.shutdown()
