"""The garbage collector: deletes objects whose owners are gone, as ownerReferences say.

    monitors (an informer per deletable resource, found by discovery)
        │ every add / update / delete
        ▼
    graph builder (one task) ──▶ the graph of owners and dependents
        │ uids to look at
        ├──▶ attempt_to_delete queue ──▶ workers (--concurrent-gc-syncs, 20)
        └──▶ attempt_to_orphan queue ──▶ workers

How a deletion propagates, by the `propagationPolicy` the user chose (the API server
records it as a finalizer on the owner):

    Background   the owner is gone at once; its dependents, now without an existing
                 owner, are deleted by the collector afterwards
    Foreground   the owner stays, terminating, with `foregroundDeletion`; the collector
                 deletes its dependents (foreground too, when they have their own) and
                 removes the finalizer once no dependent with blockOwnerDeletion is left
    Orphan       the owner stays with `orphan` until the collector has removed its
                 ownerReference from every dependent; the dependents live on

A dependent with another, existing owner is not deleted; only its dangling references
are removed. Cycles of owners do not deadlock a foreground deletion: a member whose own
dependent waits too stops blocking its owners. A namespaced dependent naming an owner in
another namespace, or a cluster-scoped one naming a namespaced kind, gets a Warning
event `OwnerRefInvalidNamespace`.
"""

from __future__ import annotations

import asyncio
import logging

from kubelite.client.discovery import discover
from kubelite.client.reconcile import Controller
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.garbagecollector.collector import Collector
from kubelite.controllers.garbagecollector.graph import AbsentOwnerCache, Graph
from kubelite.controllers.garbagecollector.graph_builder import GraphBuilder
from kubelite.controllers.garbagecollector.monitors import DISCOVERY_PERIOD, Monitors

log = logging.getLogger("kubelite.controllers.garbagecollector")

NAME = "garbage-collector-controller"
ALIAS = "garbagecollector"
COMPONENT = "garbage-collector-controller"
DEFAULT_WORKERS = 20  # --concurrent-gc-syncs


class GarbageCollector:
    def __init__(self, ctx: ControllerContext) -> None:
        self.clock = ctx.clock
        self.graph = Graph()
        self.absent = AbsentOwnerCache()
        workers = ctx.concurrency(NAME, DEFAULT_WORKERS)
        self.recorder = ctx.recorder(COMPONENT)
        self.builder = GraphBuilder(
            self.graph, self.absent, self.recorder, self._enqueue_delete, self._enqueue_orphan
        )
        client = ctx.client
        discover_fn = ctx.discover or (lambda: discover(client))
        self.monitors = Monitors(client, ctx.informers, discover_fn, self.builder)
        self.collector = Collector(client, self.graph, self.builder, self.monitors, self.absent)
        name = "garbage_collector_attempt_to_delete"
        self.deleting = Controller(
            name,
            self.collector.attempt_to_delete,
            workers=workers,
            clock=ctx.clock,
            metrics=ctx.queue_metrics(name),
        )
        name = "garbage_collector_attempt_to_orphan"
        self.orphaning = Controller(
            name,
            self.collector.attempt_to_orphan,
            workers=workers,
            clock=ctx.clock,
            metrics=ctx.queue_metrics(name),
        )

    def _enqueue_delete(self, uid: str) -> None:
        self.deleting.enqueue(uid)

    def _enqueue_orphan(self, uid: str) -> None:
        self.orphaning.enqueue(uid)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Discover and sync every monitor, then collect until cancelled."""
        while True:
            try:
                await self.monitors.sync()
                break
            except Exception as err:  # the server not reachable yet: keep trying
                log.warning("discovery failed, retrying: %s", err)
                await self.clock.sleep(1.0)
        await self.monitors.wait_for_sync()
        log.info("all resource monitors have synced", extra={"monitors": len(self.monitors.monitors)})
        started = [asyncio.Event(), asyncio.Event()]
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.builder.run())
            tg.create_task(self.deleting.run(started[0]))
            tg.create_task(self.orphaning.run(started[1]))
            tg.create_task(self._rediscover())
            for event in started:
                await event.wait()
            if ready is not None:
                ready.set()

    async def _rediscover(self) -> None:
        """New kinds (custom resources) get monitors as they appear."""
        while True:
            await self.clock.sleep(DISCOVERY_PERIOD)
            try:
                if await self.monitors.sync():
                    await self.monitors.wait_for_sync()
            except Exception as err:
                log.warning("discovery failed: %s", err)
