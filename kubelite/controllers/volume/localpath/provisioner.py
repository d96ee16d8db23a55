"""The local-path provisioner: kubelite's default StorageClass, served from a directory.

Like the local-path provisioners single-node distributions ship (k3s, kind), it makes a
hostPath PersistentVolume per claim, on the node the scheduler chose for the claim's first
pod (the class binds WaitForFirstConsumer), so the data stays on that node:

    claim annotated volume.kubernetes.io/storage-provisioner: kubelite.io/local-path
          and volume.kubernetes.io/selected-node: N (by the scheduler's VolumeBinding)
      ──▶ event Provisioning; directory DIR/pvc-<uid>_<namespace>_<name> (mode 0777)
      ──▶ PV pvc-<uid>: hostPath (DirectoryOrCreate), capacity = the request, the class's
          reclaim policy, claimRef = the claim, nodeAffinity kubernetes.io/hostname In [N],
          annotated pv.kubernetes.io/provisioned-by ──▶ event ProvisioningSucceeded
      (the PV controller then binds the claim to it)
    PV of ours Released with policy Delete ──▶ its directory removed, the PV deleted

It runs in the controller manager (`--local-path-dir`, set by `kubelite up` to
DATA_DIR/storage), which therefore must share the node's filesystem - true of `kubelite up`
and of nodes in network namespaces on one machine; a real multi-machine cluster would run
it per node. On start it creates the StorageClass `local-path` (annotated as the default
class) when there is none of that name; a user's changes to it are kept.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from kubelite.api import errors
from kubelite.api import volumes as v
from kubelite.api.types import Object
from kubelite.client.reconcile import Controller
from kubelite.client.store import split_key
from kubelite.controllers.context import ControllerContext

NAME = "local-path-provisioner-controller"
PROVISIONER = "kubelite.io/local-path"
CLASS_NAME = "local-path"
log = logging.getLogger("kubelite.controllers.localpath")


def default_storage_class() -> Object:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": CLASS_NAME, "annotations": {v.IS_DEFAULT_CLASS: "true"}},
        "provisioner": PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": v.WAIT_FOR_FIRST_CONSUMER,
    }


class ProvisioningFailed(Exception):
    pass


class LocalPathProvisioner:
    def __init__(self, ctx: ControllerContext) -> None:
        self.root = Path(ctx.settings.local_path_dir)
        self.pvs = ctx.client.resource("persistentvolumes")
        self.pvcs = ctx.client.resource("persistentvolumeclaims")
        self.nodes = ctx.client.resource("nodes")
        self.classes = ctx.client.resource("storageclasses", group="storage.k8s.io")
        self.recorder = ctx.recorder(PROVISIONER)
        self.pv_informer = ctx.informers.informer("persistentvolumes")
        self.pvc_informer = ctx.informers.informer("persistentvolumeclaims")
        self.class_informer = ctx.informers.informer("storageclasses", group="storage.k8s.io")
        self.claims = Controller("localpath_claims", self.sync_claim, clock=ctx.clock)
        self.volumes = Controller("localpath_volumes", self.sync_volume, clock=ctx.clock)
        self.claims.watch(self.pvc_informer)
        self.claims.track(self.class_informer)
        self.volumes.watch(self.pv_informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self._ensure_class()
        claims_ready = asyncio.Event()
        tasks = [
            asyncio.ensure_future(self.claims.run(claims_ready)),
            asyncio.ensure_future(self.volumes.run()),
        ]
        try:
            await claims_ready.wait()
            if ready is not None:
                ready.set()
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _ensure_class(self) -> None:
        try:
            await self.classes.create(default_storage_class())
            log.info("created the default StorageClass %s", CLASS_NAME)
        except errors.AlreadyExists:
            pass

    # ---- provisioning ----

    def _wants_us(self, claim: Object) -> bool:
        anns = v.annotations_of(claim)
        return (
            PROVISIONER in (anns.get(v.STORAGE_PROVISIONER), anns.get(v.BETA_STORAGE_PROVISIONER))
            and not (claim.get("spec") or {}).get("volumeName")
            and not claim["metadata"].get("deletionTimestamp")
            and v.phase(claim) in ("", "Pending")
        )

    async def sync_claim(self, key: str) -> None:
        namespace, name = split_key(key)
        claim = self.pvc_informer.lister.get(name, namespace)
        if claim is None or not self._wants_us(claim):
            return
        pv_name = f"pvc-{claim['metadata']['uid']}"
        if self.pv_informer.lister.get(pv_name) is not None:
            return
        sc = self.class_informer.lister.get(v.class_of(claim))
        try:
            volume = await self._volume_for(claim, sc, pv_name)
        except ProvisioningFailed as err:
            message = f'failed to provision volume with StorageClass "{v.class_of(claim)}": {err}'
            self.recorder.event(claim, "Warning", "ProvisioningFailed", message)
            return
        self.recorder.event(
            claim, "Normal", "Provisioning", f'External provisioner is provisioning volume for claim "{key}"'
        )
        path = Path(volume["spec"]["hostPath"]["path"])
        await asyncio.to_thread(_make_dir, path)
        try:
            await self.pvs.create(volume)
        except errors.AlreadyExists:
            return
        self.recorder.event(
            claim, "Normal", "ProvisioningSucceeded", f"Successfully provisioned volume {pv_name}"
        )

    async def _volume_for(self, claim: Object, sc: Object | None, pv_name: str) -> Object:
        if sc is None or sc.get("provisioner") != PROVISIONER:
            raise ProvisioningFailed(f'storageclass.storage.k8s.io "{v.class_of(claim)}" not found')
        node_name = v.annotations_of(claim).get(v.SELECTED_NODE)
        if not node_name:
            raise ProvisioningFailed("configuration error, no node was specified")
        spec = claim.get("spec") or {}
        if (spec.get("volumeMode") or "Filesystem") != "Filesystem":
            raise ProvisioningFailed("only volumeMode Filesystem is supported")
        hostname = await self._hostname(node_name)
        md = claim["metadata"]
        path = self.root / f"{pv_name}_{md['namespace']}_{md['name']}"
        return {
            "metadata": {"name": pv_name, "annotations": {v.PROVISIONED_BY: PROVISIONER}},
            "spec": {
                "capacity": {
                    "storage": ((spec.get("resources") or {}).get("requests") or {}).get("storage", "0")
                },
                "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
                "storageClassName": v.class_of(claim),
                "volumeMode": "Filesystem",
                "claimRef": v.claim_ref(claim),
                "hostPath": {"path": str(path), "type": "DirectoryOrCreate"},
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "kubernetes.io/hostname", "operator": "In", "values": [hostname]}
                                ]
                            }
                        ]
                    }
                },
            },
        }

    async def _hostname(self, node_name: str) -> str:
        try:
            node = await self.nodes.get(node_name)
        except errors.NotFound:
            raise ProvisioningFailed(f'nodes "{node_name}" not found') from None
        return str((node["metadata"].get("labels") or {}).get("kubernetes.io/hostname") or node_name)

    # ---- deletion ----

    async def sync_volume(self, key: str) -> None:
        volume = self.pv_informer.lister.get(key)
        if volume is None or v.annotations_of(volume).get(v.PROVISIONED_BY) != PROVISIONER:
            return
        spec = volume.get("spec") or {}
        if v.phase(volume) != "Released" or spec.get("persistentVolumeReclaimPolicy") != "Delete":
            return
        if volume["metadata"].get("deletionTimestamp"):
            return
        path = Path((spec.get("hostPath") or {}).get("path") or "")
        if path.parent == self.root:  # never a directory of someone else's
            await asyncio.to_thread(shutil.rmtree, path, True)
        try:
            await self.pvs.delete(key, preconditions={"uid": volume["metadata"]["uid"]})
        except errors.NotFound:
            pass
        log.info("deleted a released volume", extra={"volume": key, "path": str(path)})


def _make_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)  # any container user may write, as local-path provisioners make them
