"""The root CA certificate publisher: every namespace holds the cluster CA as a ConfigMap.

    namespace informer (added, updated) ──────────────────────┐
    configmap informer (kube-root-ca.crt changed or deleted) ──┴─▶ workqueue ──▶ sync(namespace)

`sync` makes the namespace's `kube-root-ca.crt` ConfigMap hold exactly

    data:        {ca.crt: <the PEM of --root-ca-file>}
    annotations: {kubernetes.io/description: <Kubernetes' sentence>}

creating it when missing and putting it back when someone changed it. Pods read it through
the `kube-api-access-*` volume the ServiceAccount admission plugin mounts, to verify the API
server. Terminating namespaces are left alone.
"""

from __future__ import annotations

import asyncio
import copy
import logging

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, Requeue
from kubelite.controllers.context import ControllerContext

log = logging.getLogger("kubelite.controllers.rootcacertpublisher")

NAME = "root-ca-certificate-publisher-controller"
QUEUE_NAME = "root_ca_cert_publisher"
CONFIGMAP = "kube-root-ca.crt"
DESCRIPTION_KEY = "kubernetes.io/description"
DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
    "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
    "distributions of Kubernetes clusters."
)


class RootCACertPublisher:
    def __init__(self, ctx: ControllerContext) -> None:
        self.ca = ctx.settings.root_ca.decode()
        self.configmaps = ctx.client.resource("configmaps")
        self.namespaces = ctx.informers.informer("namespaces")
        self.cm_informer = ctx.informers.informer("configmaps")
        self.controller = Controller(
            QUEUE_NAME, self.sync, workers=1, clock=ctx.clock, metrics=ctx.queue_metrics(QUEUE_NAME)
        )
        self.namespaces.add_event_handler(
            Handlers(add=self._namespace, update=lambda old, new: self._namespace(new))
        )
        self.cm_informer.add_event_handler(
            Handlers(update=lambda old, new: self._configmap(new), delete=self._configmap)
        )
        self.controller.track(self.namespaces)
        self.controller.track(self.cm_informer)

    def _namespace(self, ns: Object) -> None:
        self.controller.enqueue(ns["metadata"]["name"])

    def _configmap(self, cm: Object) -> None:
        if cm["metadata"]["name"] == CONFIGMAP:
            self.controller.enqueue(cm["metadata"].get("namespace", ""))

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    def _wanted(self, cm: Object | None) -> Object:
        out: Object = copy.deepcopy(cm) if cm is not None else {"metadata": {"name": CONFIGMAP}}
        out["data"] = {"ca.crt": self.ca}
        out.pop("binaryData", None)
        out["metadata"].setdefault("annotations", {})[DESCRIPTION_KEY] = DESCRIPTION
        return out

    async def sync(self, namespace: str) -> Requeue | None:
        ns = self.namespaces.lister.get(namespace)
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            return None
        cm = self.cm_informer.lister.get(CONFIGMAP, namespace)
        wanted = self._wanted(cm)
        try:
            if cm is None:
                await self.configmaps.create(wanted, namespace=namespace)
            elif wanted != cm:
                await self.configmaps.update(wanted, namespace=namespace)
        except (errors.AlreadyExists, errors.NotFound):
            return Requeue(after=0.0)  # the cache lags: look again with what it has then
        except errors.Forbidden:
            pass  # the namespace started terminating
        return None
