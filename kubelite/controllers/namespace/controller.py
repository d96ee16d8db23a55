"""The namespace controller: deletes a terminating namespace's content, then the namespace.

    namespace informer (resync --namespace-sync-period, 5 min)
        │ a namespace with a deletionTimestamp, 5 s later (so every API server has seen
        │ the deletion and refuses new content before the clean-up lists it)
        ▼
    workqueue ──▶ sync(name) ──▶ NamespaceDeleter.delete (`deleter.py`)
        content remaining: again in estimate/2 + 1 s; failures: back-off (5 ms .. 60 s)

The `kubernetes` finalizer the API server puts in every namespace's spec.finalizers keeps a
deleted namespace until this controller has emptied it and removed the finalizer through
`/finalize`. Kubernetes runs this loop in kube-controller-manager; so does kubelite.
"""

from __future__ import annotations

import asyncio
import logging

from kubelite.api.types import Object
from kubelite.client.discovery import discover
from kubelite.client.informer import Handlers
from kubelite.client.ratelimit import ItemExponentialFailureRateLimiter
from kubelite.client.reconcile import Controller, Requeue
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.namespace.deleter import NamespaceDeleter, ResourcesRemaining

log = logging.getLogger("kubelite.controllers.namespace")

NAME = "namespace-controller"
ALIAS = "namespace"
QUEUE_NAME = "namespace"
DEFAULT_WORKERS = 10  # --concurrent-namespace-syncs
DELETION_GRACE = 5.0  # wait after seeing a deletion before cleaning up


class NamespaceController:
    def __init__(self, ctx: ControllerContext) -> None:
        client = ctx.client
        self.informer = ctx.informers.informer("namespaces")
        self.deleter = NamespaceDeleter(client, ctx.discover or (lambda: discover(client)), ctx.clock)
        self.controller = Controller(
            QUEUE_NAME,
            self.sync,
            workers=ctx.concurrency(NAME, DEFAULT_WORKERS),
            clock=ctx.clock,
            rate_limiter=ItemExponentialFailureRateLimiter(0.005, 60.0),
            metrics=ctx.queue_metrics(QUEUE_NAME),
        )
        self.informer.add_event_handler(
            Handlers(add=self._changed, update=lambda old, new: self._changed(new)),
            resync_period=ctx.settings.namespace_sync_period,
        )
        self.controller.track(self.informer)

    def _changed(self, ns: Object) -> None:
        if ns["metadata"].get("deletionTimestamp"):
            self.controller.enqueue_after(ns["metadata"]["name"], DELETION_GRACE)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    async def sync(self, key: str) -> Requeue | None:
        if self.informer.lister.get(key) is None:
            return None
        try:
            await self.deleter.delete(key)
        except ResourcesRemaining as remaining:
            log.info(
                "content remaining in namespace", extra={"namespace": key, "estimate": remaining.estimate}
            )
            return Requeue(remaining.estimate // 2 + 1)
        return None
