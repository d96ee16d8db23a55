"""The service account controller: every active namespace has a `default` ServiceAccount.

    namespace informer (added, updated) ──────────────┐
    serviceaccount informer (one named default gone) ──┴─▶ workqueue ──▶ sync(namespace)

`sync` creates `default` in the namespace when the cache has none; an AlreadyExists answer
means a cache that lags, not a failure. Namespaces being deleted are left alone (the API
server would refuse the create). The ServiceAccount admission plugin refuses pods in a
namespace until this has run there.
"""

from __future__ import annotations

import asyncio
import logging

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, Requeue
from kubelite.controllers.context import ControllerContext

log = logging.getLogger("kubelite.controllers.serviceaccount")

NAME = "serviceaccount-controller"
QUEUE_NAME = "serviceaccount"
DEFAULT_WORKERS = 1  # --concurrent-serviceaccount-token-syncs is the tokens controller's
MANAGED = ("default",)


class ServiceAccountsController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.accounts = ctx.client.resource("serviceaccounts")
        self.namespaces = ctx.informers.informer("namespaces")
        self.account_informer = ctx.informers.informer("serviceaccounts")
        self.controller = Controller(
            QUEUE_NAME,
            self.sync,
            workers=ctx.concurrency(NAME, DEFAULT_WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics(QUEUE_NAME),
        )
        self.namespaces.add_event_handler(
            Handlers(add=self._namespace, update=lambda old, new: self._namespace(new))
        )
        self.account_informer.add_event_handler(Handlers(delete=self._account_deleted))
        self.controller.track(self.namespaces)
        self.controller.track(self.account_informer)

    def _namespace(self, ns: Object) -> None:
        self.controller.enqueue(ns["metadata"]["name"])

    def _account_deleted(self, sa: Object) -> None:
        if sa["metadata"]["name"] in MANAGED:
            self.controller.enqueue(sa["metadata"].get("namespace", ""))

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    async def sync(self, namespace: str) -> Requeue | None:
        ns = self.namespaces.lister.get(namespace)
        if (
            ns is None
            or ns["metadata"].get("deletionTimestamp")
            or (ns.get("status") or {}).get("phase") == "Terminating"
        ):
            return None
        for name in MANAGED:
            if self.account_informer.lister.get(name, namespace) is not None:
                continue
            try:
                await self.accounts.create({"metadata": {"name": name}}, namespace=namespace)
                log.info("created service account", extra={"namespace": namespace, "serviceAccount": name})
            except errors.AlreadyExists:
                pass
            except errors.Forbidden:
                # The namespace started terminating after the cache saw it.
                pass
        return None
