"""The storage-object-in-use protection controllers: the finalizers the
StorageObjectInUseProtection admission plugin puts on every new claim and volume, removed
once deleting the object can no longer pull storage from under a pod.

    persistentvolumeclaim-protection-controller
        a claim being deleted keeps kubernetes.io/pvc-protection while a pod that is on a
        node and not finished names it (a persistentVolumeClaim volume, or the claim of a
        generic ephemeral volume, `<pod>-<volume>`); the pods are listed from the API
        server, not the cache, before the finalizer goes (a pod just created must count)
    persistentvolume-protection-controller
        a volume being deleted keeps kubernetes.io/pv-protection while it is Bound

Claims are woken by their own changes and by changes of the pods that use them.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterable

from kubelite.api import volumes as v
from kubelite.api.pods import is_terminal
from kubelite.api.types import Object
from kubelite.client.reconcile import Controller
from kubelite.client.store import split_key
from kubelite.controllers.context import ControllerContext

PVC_NAME = "persistentvolumeclaim-protection-controller"
PV_NAME = "persistentvolume-protection-controller"


def claims_of(pod: Object) -> Iterable[str]:
    """The claim names a pod's volumes use."""
    for vol in (pod.get("spec") or {}).get("volumes") or []:
        if vol.get("persistentVolumeClaim"):
            yield str(vol["persistentVolumeClaim"].get("claimName") or "")
        elif vol.get("ephemeral"):
            yield f"{pod['metadata']['name']}-{vol['name']}"


def _uses(pod: Object, claim: str) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName")) and not is_terminal(pod) and claim in claims_of(pod)


def _protected_and_deleting(obj: Object, finalizer: str) -> bool:
    md = obj["metadata"]
    return bool(md.get("deletionTimestamp")) and finalizer in (md.get("finalizers") or [])


def _without(obj: Object, finalizer: str) -> Object:
    new = copy.deepcopy(obj)
    new["metadata"]["finalizers"] = [f for f in new["metadata"]["finalizers"] if f != finalizer]
    return new


class PVCProtectionController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.pvcs = ctx.client.resource("persistentvolumeclaims")
        self.pods = ctx.client.resource("pods")
        self.pvc_informer = ctx.informers.informer("persistentvolumeclaims")
        self.pod_informer = ctx.informers.informer("pods")
        self.controller = Controller(
            "pvcprotection", self.sync, clock=ctx.clock, metrics=ctx.queue_metrics("pvcprotection")
        )
        self.controller.watch(self.pvc_informer)
        self.controller.watch(
            self.pod_informer, lambda pod: [f"{pod['metadata']['namespace']}/{c}" for c in claims_of(pod)]
        )

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        claim = self.pvc_informer.lister.get(name, namespace)
        if claim is None or not _protected_and_deleting(claim, v.PVC_PROTECTION):
            return
        if any(_uses(p, name) for p in self.pod_informer.lister.list(namespace)):
            return
        live = await self.pods.list(namespace=namespace)
        if any(_uses(p, name) for p in live.get("items") or []):
            return
        await self.pvcs.update(_without(claim, v.PVC_PROTECTION), namespace=namespace)


class PVProtectionController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.pvs = ctx.client.resource("persistentvolumes")
        self.pv_informer = ctx.informers.informer("persistentvolumes")
        self.controller = Controller(
            "pvprotection", self.sync, clock=ctx.clock, metrics=ctx.queue_metrics("pvprotection")
        )
        self.controller.watch(self.pv_informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    async def sync(self, key: str) -> None:
        volume = self.pv_informer.lister.get(key)
        if (
            volume is None
            or not _protected_and_deleting(volume, v.PV_PROTECTION)
            or v.phase(volume) == "Bound"
        ):
            return
        await self.pvs.update(_without(volume, v.PV_PROTECTION))
