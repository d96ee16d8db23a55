"""The PersistentVolume controller (persistentvolume-binder-controller): claims bound to
volumes, volumes released when their claim goes, and reclaimed by their policy.

    PVC informer ──▶ claims queue ──▶ sync_claim(ns/name)
    PV informer  ──▶ volumes queue ─▶ sync_volume(name)      (each change of a volume also
    StorageClass informer (read)                               wakes its claim, and back)
    every --pvclaimbinder-sync-period (15 s): every claim and volume again

A claim (phase Pending until bound):

    not bind-completed, no volumeName
        a volume that fits (kubelite.api.volumes.best_match) ──▶ bind (binding.py)
        none, class WaitForFirstConsumer, no selected node ──▶ event WaitForFirstConsumer
            (or WaitForPodScheduled naming the pods): the scheduler chooses the node
        none, a class ──▶ annotated volume.kubernetes.io/storage-provisioner = the class's
            provisioner, event ExternalProvisioning: the provisioner creates a volume
            promised to the claim (claimRef), which the next sync binds
        none, no class ──▶ event FailedBinding
    not bind-completed, volumeName set (the user chose): bound if the volume is free or
        promised to the claim; FailedBinding if it is another claim's
    bind-completed: kept Bound; Lost (event ClaimLost / ClaimMisbound) when its volume is
        gone or bound elsewhere

A volume:

    no claimRef, or a claimRef without uid (pre-bound by a user)  ──▶ Available
    its claim exists (same uid)                                   ──▶ Bound
    its claim is gone ──▶ Released, then the reclaim policy:
        Retain   stays Released (an administrator reuses or deletes it)
        Delete   a volume provisioned by an external provisioner is left to it (it deletes
                 the storage, then the PV); any other is Failed with VolumeFailedDelete
                 (kubelite has no in-tree deleter)
        Recycle  Failed with VolumeFailedRecycle (no recycler plugin)
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Iterable

from kubelite.api import errors
from kubelite.api import volumes as v
from kubelite.api.types import Object
from kubelite.client.reconcile import Controller
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.volume.persistentvolume.binding import Binder

NAME = "persistentvolume-binder-controller"
COMPONENT = "persistentvolume-controller"
log = logging.getLogger("kubelite.controllers.persistentvolume")


def _claim_key_of_volume(volume: Object) -> list[str]:
    ref = (volume.get("spec") or {}).get("claimRef") or {}
    return [f"{ref['namespace']}/{ref['name']}"] if ref.get("name") and ref.get("namespace") else []


def _volume_key_of_claim(claim: Object) -> list[str]:
    name = (claim.get("spec") or {}).get("volumeName")
    return [name] if name else []


class PersistentVolumeController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.clock = ctx.clock
        self.sync_period = ctx.settings.pvclaimbinder_sync_period
        self.pvs = ctx.client.resource("persistentvolumes")
        self.pvcs = ctx.client.resource("persistentvolumeclaims")
        self.binder = Binder(self.pvs, self.pvcs)
        self.recorder = ctx.recorder(COMPONENT)
        self.pv_informer = ctx.informers.informer("persistentvolumes")
        self.pvc_informer = ctx.informers.informer("persistentvolumeclaims")
        self.class_informer = ctx.informers.informer("storageclasses", group="storage.k8s.io")
        self.pod_informer = ctx.informers.informer("pods")
        self.claims = Controller(
            "claims", self.sync_claim, clock=ctx.clock, metrics=ctx.queue_metrics("claims")
        )
        self.volumes = Controller(
            "volumes", self.sync_volume, clock=ctx.clock, metrics=ctx.queue_metrics("volumes")
        )
        self.claims.watch(self.pvc_informer)
        self.claims.watch(self.pv_informer, self._claims_for_volume)
        self.volumes.watch(self.pv_informer)
        self.volumes.watch(self.pvc_informer, _volume_key_of_claim)
        self.claims.track(self.class_informer)
        self.claims.track(self.pod_informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        both = asyncio.Event()
        tasks = [asyncio.ensure_future(self.claims.run(both)), asyncio.ensure_future(self.volumes.run())]
        try:
            await both.wait()
            if ready is not None:
                ready.set()
            while True:
                await self.clock.sleep(self.sync_period)
                self.resync()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _claims_for_volume(self, volume: Object) -> list[str]:
        """Its claim; for a free volume, every claim still waiting (Kubernetes leaves them to
        the next resync; looking at once costs one cache pass and saves up to 15 s)."""
        if (volume.get("spec") or {}).get("claimRef"):
            return _claim_key_of_volume(volume)
        return [
            object_key(c)
            for c in self.pvc_informer.lister.list()
            if not (c.get("spec") or {}).get("volumeName") and v.BIND_COMPLETED not in v.annotations_of(c)
        ]

    def resync(self) -> None:
        for claim in self.pvc_informer.lister.list():
            self.claims.enqueue(object_key(claim))
        for volume in self.pv_informer.lister.list():
            self.volumes.enqueue(volume["metadata"]["name"])

    def _event(self, obj: Object, type_: str, reason: str, message: str) -> None:
        self.recorder.event(obj, type_, reason, message)

    # ---- claims ----

    async def sync_claim(self, key: str) -> None:
        namespace, name = split_key(key)
        claim = self.pvc_informer.lister.get(name, namespace)
        if claim is None:
            return
        if v.BIND_COMPLETED in v.annotations_of(claim):
            await self._sync_bound_claim(claim)
        elif (claim.get("spec") or {}).get("volumeName"):
            await self._sync_claim_asking_for(claim, claim["spec"]["volumeName"])
        else:
            await self._sync_unbound_claim(claim)

    def _storage_class(self, claim: Object) -> Object | None:
        name = v.class_of(claim)
        return self.class_informer.lister.get(name) if name else None

    async def _sync_unbound_claim(self, claim: Object) -> None:
        sc = self._storage_class(claim)
        delay = v.wait_for_first_consumer(sc) and v.SELECTED_NODE not in v.annotations_of(claim)
        volume = v.best_match(claim, self.pv_informer.lister.list(), delay_binding=delay)
        if volume is not None:
            await self.binder.bind(volume, claim)
            return
        if delay:
            self._waiting_for_consumer(claim)
        elif v.class_of(claim):
            await self._provision(claim, sc)
            return
        else:
            self._event(
                claim,
                "Normal",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
        await self.binder.claim_status(claim, "Pending")

    def _waiting_for_consumer(self, claim: Object) -> None:
        pods = sorted(self._unscheduled_pods_using(claim))
        if not pods:
            message, reason = (
                "waiting for first consumer to be created before binding",
                "WaitForFirstConsumer",
            )
        elif len(pods) == 1:
            message, reason = f"waiting for pod {pods[0]} to be scheduled", "WaitForPodScheduled"
        else:
            message, reason = f"waiting for pods {','.join(pods)} to be scheduled", "WaitForPodScheduled"
        self._event(claim, "Normal", reason, message)

    def _unscheduled_pods_using(self, claim: Object) -> Iterable[str]:
        md = claim["metadata"]
        for pod in self.pod_informer.lister.list(md["namespace"]):
            if (pod.get("spec") or {}).get("nodeName"):
                continue
            for vol in (pod.get("spec") or {}).get("volumes") or []:
                if (vol.get("persistentVolumeClaim") or {}).get("claimName") == md["name"]:
                    yield pod["metadata"]["name"]
                    break

    async def _provision(self, claim: Object, sc: Object | None) -> None:
        if sc is None:
            message = f'storageclass.storage.k8s.io "{v.class_of(claim)}" not found'
            self._event(claim, "Warning", "ProvisioningFailed", message)
            await self.binder.claim_status(claim, "Pending")
            return
        provisioner = str(sc.get("provisioner") or "")
        anns = v.annotations_of(claim)
        if (
            anns.get(v.STORAGE_PROVISIONER) != provisioner
            or anns.get(v.BETA_STORAGE_PROVISIONER) != provisioner
        ):
            new = copy.deepcopy(claim)
            new_anns = new["metadata"].setdefault("annotations", {})
            new_anns[v.STORAGE_PROVISIONER] = new_anns[v.BETA_STORAGE_PROVISIONER] = provisioner
            claim = await self.pvcs.update(new)
        self._event(
            claim,
            "Normal",
            "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner '{provisioner}' or "
            "manually by the system administrator. If volume creation is delayed, please verify that the "
            "provisioner is running and correctly registered.",
        )
        await self.binder.claim_status(claim, "Pending")

    async def _sync_claim_asking_for(self, claim: Object, volume_name: str) -> None:
        volume = self.pv_informer.lister.get(volume_name)
        if volume is None:
            await self.binder.claim_status(claim, "Pending")
            return
        if not (volume.get("spec") or {}).get("claimRef") or v.is_bound_to(volume, claim):
            await self.binder.bind(volume, claim)
            return
        self._event(
            claim, "Warning", "FailedBinding", f'volume "{volume_name}" already bound to a different claim.'
        )
        await self.binder.claim_status(claim, "Pending")

    async def _sync_bound_claim(self, claim: Object) -> None:
        name = (claim.get("spec") or {}).get("volumeName")
        volume = self.pv_informer.lister.get(name) if name else None
        if not name or volume is None:
            message = (
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!"
                if name
                else "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!"
            )
            await self._lost(claim, "ClaimLost", message)
        elif not (volume.get("spec") or {}).get("claimRef") or v.is_bound_to(volume, claim):
            await self.binder.bind(volume, claim)
        else:
            await self._lost(
                claim,
                "ClaimMisbound",
                "Two claims are bound to the same volume, this one is bound incorrectly",
            )

    async def _lost(self, claim: Object, reason: str, message: str) -> None:
        if v.phase(claim) != "Lost":
            await self.binder.claim_status(claim, "Lost")
            self._event(claim, "Warning", reason, message)

    # ---- volumes ----

    async def sync_volume(self, key: str) -> None:
        volume = self.pv_informer.lister.get(key)
        if volume is None:
            return
        ref = (volume.get("spec") or {}).get("claimRef")
        if not ref or not ref.get("uid"):
            if v.phase(volume) != "Available":
                await self.binder.volume_phase(volume, "Available")
            return
        claim = await self._claim_of(ref)
        if claim is None:
            await self._released(volume)
            return
        bound_to = (claim.get("spec") or {}).get("volumeName")
        if not bound_to or bound_to == volume["metadata"]["name"]:
            # Bound, or the claim's half of the binding is still to be written.
            if v.phase(volume) != "Bound":
                await self.binder.volume_phase(volume, "Bound")
            if not bound_to:
                self.claims.enqueue(object_key(claim))
            return
        await self._unbind(volume)

    async def _claim_of(self, ref: Object) -> Object | None:
        """The claim `ref` names with its uid; a cache miss is read from the API server (the
        claim may be newer than the cache) before the volume is released."""
        claim = self.pvc_informer.lister.get(ref["name"], ref["namespace"])
        if claim is None:
            try:
                claim = await self.pvcs.get(ref["name"], namespace=ref["namespace"])
            except errors.NotFound:
                return None
        return claim if claim["metadata"].get("uid") == ref.get("uid") else None

    async def _unbind(self, volume: Object) -> None:
        """The claim is bound to another volume: free this one (a user's pre-binding keeps its
        claimRef without the uid)."""
        new = copy.deepcopy(volume)
        if v.BOUND_BY_CONTROLLER in v.annotations_of(new):
            new["spec"].pop("claimRef", None)
            new["metadata"]["annotations"].pop(v.BOUND_BY_CONTROLLER, None)
        else:
            new["spec"]["claimRef"].pop("uid", None)
        updated = await self.pvs.update(new)
        await self.binder.volume_phase(updated, "Available")

    async def _released(self, volume: Object) -> None:
        if v.phase(volume) not in ("Released", "Failed"):
            volume = await self.binder.volume_phase(volume, "Released")
        if v.phase(volume) != "Released":
            return
        policy = (volume.get("spec") or {}).get("persistentVolumeReclaimPolicy") or "Retain"
        if policy == "Retain":
            return
        if policy == "Recycle":
            await self._failed(volume, "VolumeFailedRecycle", "No recycler plugin found for the volume!")
        elif policy == "Delete":
            provisioner = v.annotations_of(volume).get(v.PROVISIONED_BY, "")
            if provisioner and not provisioner.startswith("kubernetes.io/"):
                return  # its external provisioner deletes the storage, then the volume
            name = volume["metadata"]["name"]
            message = (
                f'error getting deleter volume plugin for volume "{name}": no deletable volume plugin matched'
            )
            await self._failed(volume, "VolumeFailedDelete", message)
        else:
            await self._failed(
                volume, "VolumeUnknownReclaimPolicy", "Volume has unrecognized PersistentVolumeReclaimPolicy"
            )

    async def _failed(self, volume: Object, reason: str, message: str) -> None:
        await self.binder.volume_phase(volume, "Failed", message)
        self._event(volume, "Warning", reason, message)
