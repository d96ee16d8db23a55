"""Running `kubelite controller-manager`: the controllers, their caches, leadership, metrics.

    every instance                       the leader only (one term at a time)
    ─────────────                        ─────────────────────────────────────
    client, /healthz /readyz /metrics    the selected controllers' workers
    the controllers built, their           and the event writers, until the
      informers started and synced         Lease is lost (then a fresh set of
      (a standby can take over at once)    controllers is built for the next term)

The lifetime steps (serve, warm up, campaign, lead) are componentbase's; this module
builds the ControllerContext (one shared informer factory; per controller its own client
with --kube-api-qps/--kube-api-burst, its workers, its workqueue metrics) and the
selected controllers.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CollectorRegistry

from kubelite.client.informer import SharedInformerFactory
from kubelite.client.rest import Client
from kubelite.componentbase import LeaderStatus, make_client, run_component
from kubelite.componentbase.clientmetrics import RestClientMetrics
from kubelite.componentbase.leader import default_identity
from kubelite.componentbase.process import health_server
from kubelite.controllermanager import controllers
from kubelite.controllermanager.metrics import WorkqueueMetrics
from kubelite.controllermanager.options import ControllerManagerOptions
from kubelite.controllers.context import ControllerContext, RunnableController
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.controllermanager")

GARBAGE_COLLECTOR = "garbage-collector-controller"


class ControllerManager:
    def __init__(
        self,
        options: ControllerManagerOptions,
        client: Client,
        registry: CollectorRegistry,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.options = options
        self.client = client
        self.clock = clock or RealClock()
        self.registry = registry
        self.metrics = WorkqueueMetrics(registry)
        self.informers = SharedInformerFactory(client, clock=self.clock)
        self.selected = [
            d
            for d in controllers.enabled(options.controllers)
            if options.enable_garbage_collector or d.name != GARBAGE_COLLECTOR
        ]
        missing = [d.name for d in self.selected if d.new is None]
        if missing:
            log.info("not in kubelite yet, so not started: %s", ", ".join(missing))
        self._ctx: ControllerContext | None = None
        self._running: list[tuple[str, RunnableController]] = []
        self._synced = False

    def _build(self) -> tuple[ControllerContext, list[tuple[str, RunnableController]]]:
        component = self.options.component
        ctx = ControllerContext(
            self.client,
            self.informers,
            self.clock,
            workers=dict(self.options.workers),
            settings=self.options.settings,
            queue_metrics=self.metrics.for_queue,
            client_qps=component.kube_api_qps,
            client_burst=component.kube_api_burst,
            registry=self.registry,
        )
        built: list[tuple[str, RunnableController]] = []
        for d in self.selected:
            if d.new is None:
                continue
            built.append((d.name, d.new(ctx.for_controller(d.name))))
        return ctx, built

    def synced(self) -> str | None:
        """A readiness check: None once the caches are warm."""
        return None if self._synced else "informers not synced"

    async def warm_up(self) -> None:
        """Build the controllers (they ask for their informers), then fill every cache."""
        self._ctx, self._running = self._build()
        self.informers.start()
        await self.informers.wait_for_cache_sync()
        self._synced = True
        log.info("caches synced for %s", ", ".join(name for name, _ in self._running))

    async def lead(self) -> None:
        """Run the controllers until cancelled (leadership lost, or the process stopping)."""
        if self._ctx is None:
            self._ctx, self._running = self._build()
            self.informers.start()
        ctx, running = self._ctx, self._running
        self._ctx, self._running = None, []  # a later term builds afresh
        async with asyncio.TaskGroup() as tg:
            for rec in ctx.recorders:
                tg.create_task(rec.run(), name=f"events {rec.component}")
            for name, controller in running:
                tg.create_task(controller.run(), name=name)

    async def stop(self) -> None:
        await self.informers.shutdown()


async def run_controller_manager(
    options: ControllerManagerOptions, *, ready: asyncio.Event | None = None
) -> None:
    client = make_client(options.component)
    registry = CollectorRegistry()
    client.metrics = RestClientMetrics(registry, host=client.config.server.split("://", 1)[-1])
    manager = ControllerManager(options, client, registry)
    health = health_server(options.component, registry)
    if health is not None:
        health.add_readyz_check("informer-sync", manager.synced)
    try:
        await run_component(
            options.component,
            client=client,
            registry=registry,
            lead=manager.lead,
            warm_up=manager.warm_up,
            health=health,
            status=LeaderStatus(default_identity()),
            ready=ready,
        )
    finally:
        await manager.stop()
        await client.close()
