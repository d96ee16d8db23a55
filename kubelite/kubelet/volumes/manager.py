"""The volume manager: a pod's volumes set up, kept current, mounted and removed.

    set_up(pod)      every volume of the pod under <root>/pods/<uid>/volumes/…, before its
                     sandbox starts and again on every pod sync: configMap, secret,
                     downwardAPI and projected contents are rewritten (atomically) when
                     their sources changed, tokens refreshed when due
    mounts(pod, c)   the container's volumeMounts as CRI Mounts (subPath resolved; API
                     data volumes always read-only, as Kubernetes mounts them)
    tear_down(pod)   tmpfs unmounted, the pod's directory removed, its tokens forgotten
    remove_orphans   the directories of pods this kubelet no longer knows (removed while
                     it was down), as Kubernetes' housekeeping cleans orphaned pod dirs

A volume that cannot be set up raises `MountFailed` with Kubernetes' FailedMount message;
the pod's containers are not started until every volume was set up once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
from pathlib import Path

from kubelite.api.types import Object
from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.volumes import (
    atomic_writer,
    configmap,
    downwardapi,
    emptydir,
    hostpath,
    ownership,
    persistentclaim,
    projected,
    secret,
)
from kubelite.kubelet.volumes.errors import VolumeError
from kubelite.kubelet.volumes.expansion import check_sub_path, expand_sub_path
from kubelite.kubelet.volumes.sources import VolumeSources
from kubelite.kubelet.volumes.tokens import TokenManager
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.kubelet.volumes")

PLUGIN_DIRS = {
    "emptyDir": "kubernetes.io~empty-dir",
    "configMap": "kubernetes.io~configmap",
    "secret": "kubernetes.io~secret",
    "downwardAPI": "kubernetes.io~downward-api",
    "projected": "kubernetes.io~projected",
}
API_DATA = ("configMap", "secret", "downwardAPI", "projected")


class MountFailed(Exception):
    def __init__(self, volume: str, reason: str) -> None:
        super().__init__(f'MountVolume.SetUp failed for volume "{volume}" : {reason}')
        self.volume = volume


def kind_of(volume: Object) -> str:
    return next((k for k in ("hostPath", "persistentVolumeClaim", *PLUGIN_DIRS) if k in volume), "")


class VolumeManager:
    def __init__(
        self, root: Path, sources: VolumeSources, clock: Clock, *, secrets_in_memory: bool = False
    ) -> None:
        self.root = root
        # As Kubernetes: secret and projected volumes on a tmpfs, so secrets never reach the disk.
        self.secrets_in_memory = secrets_in_memory
        # The node's allocatable resources: a resourceFieldRef to a limit not set gives these.
        self.allocatable: dict[str, str] = {}
        self.sources = sources
        self.tokens = TokenManager(sources, clock)
        self._ready: set[str] = set()  # uids whose volumes were all set up once
        # (pod uid, volume name) -> the host directory of a claim's PersistentVolume
        self._claims: dict[tuple[str, str], Path] = {}
        self._owned: set[tuple[str, str]] = set()  # (pod uid, volume) given to the fsGroup once

    def pod_dir(self, uid: str) -> Path:
        return self.root / "pods" / uid

    def path_of(self, pod: Object, volume: Object) -> Path | None:
        kind = kind_of(volume)
        if kind == "hostPath":
            return Path(str(volume["hostPath"].get("path", "")))
        if kind == "persistentVolumeClaim":
            return self._claims.get((pod["metadata"]["uid"], volume["name"]))
        if kind in PLUGIN_DIRS:
            return self.pod_dir(pod["metadata"]["uid"]) / "volumes" / PLUGIN_DIRS[kind] / str(volume["name"])
        return None

    def ready(self, pod: Object) -> bool:
        return pod["metadata"]["uid"] in self._ready

    async def set_up(self, pod: Object) -> None:
        """Every volume, even after one fails; the first failure is raised at the end."""
        first: MountFailed | None = None
        for v in (pod.get("spec") or {}).get("volumes") or []:
            try:
                await self._set_up_one(pod, v)
            except VolumeError as err:
                first = first or MountFailed(v["name"], err.reason)
            except OSError as err:
                first = first or MountFailed(v["name"], str(err))
        if first is not None:
            raise first
        self._ready.add(pod["metadata"]["uid"])

    async def _set_up_one(self, pod: Object, v: Object) -> None:
        kind, path = kind_of(v), self.path_of(pod, v)
        if kind == "persistentVolumeClaim":
            if path is None:  # resolved once: a claim's volume never changes while bound
                await self._resolve_claim(pod, v)
        elif path is None:
            return  # a kind this node does not mount
        elif kind == "hostPath":
            await asyncio.to_thread(hostpath.check, v["hostPath"])
        elif kind == "emptyDir":
            source = v["emptyDir"] or {}
            size = emptydir.memory_size(source, pod, self.allocatable.get("memory", ""))
            await asyncio.to_thread(emptydir.set_up, path, source, size)
            await self._own(pod, v, path, read_only=False, changed=False)
        else:
            await self._write_api_data(pod, v, kind, path)

    async def _write_api_data(self, pod: Object, v: Object, kind: str, path: Path) -> None:
        ns = pod["metadata"].get("namespace", "default")
        if kind == "configMap":
            payload = await configmap.payload(self.sources, ns, v["configMap"])
        elif kind == "secret":
            payload = await secret.payload(self.sources, ns, v["secret"])
        elif kind == "downwardAPI":
            payload = downwardapi.payload(pod, v["downwardAPI"], self.allocatable)
        else:
            payload = await projected.payload(
                self.sources, self.tokens, pod, v["projected"], self.allocatable
            )
        if self.secrets_in_memory and kind in ("secret", "projected"):
            try:
                await asyncio.to_thread(emptydir.mount_tmpfs, path, "mode=0755")
            except subprocess.CalledProcessError as err:
                raise VolumeError(f"mount failed: {err.stderr.decode(errors='replace').strip()}") from None
        try:
            changed = await asyncio.to_thread(atomic_writer.write, path, payload)
        except ValueError as err:
            raise VolumeError(str(err)) from None
        if changed:
            log.info("volume written", extra={"volume": v["name"], "pod": pod["metadata"]["uid"]})
        await self._own(pod, v, path, read_only=True, changed=changed)

    async def _own(self, pod: Object, v: Object, path: Path, *, read_only: bool, changed: bool) -> None:
        """The fsGroup's ownership, at the first set-up and after each rewrite (ownership.py)."""
        key = (pod["metadata"]["uid"], v["name"])
        if (changed or key not in self._owned) and ownership.fs_group(pod) is not None:
            await asyncio.to_thread(ownership.apply, path, pod, read_only=read_only)
        self._owned.add(key)

    async def _resolve_claim(self, pod: Object, v: Object) -> None:
        ns = pod["metadata"].get("namespace", "default")
        found, local = await persistentclaim.resolve(self.sources, ns, v["persistentVolumeClaim"])
        self._claims[(pod["metadata"]["uid"], v["name"])] = found
        if local:
            await self._own(
                pod, v, found, read_only=bool(v["persistentVolumeClaim"].get("readOnly")), changed=False
            )

    def mounts(self, pod: Object, container: Object, env: dict[str, str] | None = None) -> list[pb.Mount]:
        """`env`: the container's environment, for subPathExpr's `$(VAR)` references. A
        subPath that is absolute or climbs out (`..`), or a subPathExpr naming an unset
        variable, raises VolumeError (the container's CreateContainerConfigError)."""
        volumes = {v["name"]: v for v in (pod.get("spec") or {}).get("volumes") or []}
        out = []
        for m in container.get("volumeMounts") or []:
            v = volumes.get(m.get("name", ""))
            path = None if v is None else self.path_of(pod, v)
            if v is None or path is None:
                continue
            api_data = kind_of(v) in API_DATA
            claim_read_only = bool((v.get("persistentVolumeClaim") or {}).get("readOnly"))
            host = path
            sub_path = m.get("subPath") or ""
            if not sub_path and m.get("subPathExpr"):
                sub_path = expand_sub_path(m["subPathExpr"], env or {})
            if sub_path:
                check_sub_path(sub_path)
                host = path / sub_path
                if api_data:
                    host = Path(os.path.realpath(host))
                elif not host.exists():
                    host.mkdir(parents=True, exist_ok=True)
            out.append(
                pb.Mount(
                    container_path=m.get("mountPath", ""),
                    host_path=str(host),
                    readonly=bool(m.get("readOnly")) or api_data or claim_read_only,
                    selinux_relabel=False,
                    propagation=pb.PROPAGATION_PRIVATE,
                )
            )
        return out

    async def tear_down(self, pod: Object) -> None:
        uid = pod["metadata"]["uid"]
        self._ready.discard(uid)
        self.tokens.forget(uid)
        for key in [k for k in self._claims if k[0] == uid]:
            del self._claims[key]
        self._owned = {k for k in self._owned if k[0] != uid}
        d = self.pod_dir(uid)
        if d.exists():
            await asyncio.to_thread(emptydir.unmount_under, d)
        await asyncio.to_thread(shutil.rmtree, d, True)

    async def remove_orphans(self, known: set[str]) -> list[str]:
        """Remove every pod directory whose uid is not in `known`; the uids removed."""
        pods = self.root / "pods"
        gone = [d for d in pods.iterdir() if d.is_dir() and d.name not in known] if pods.is_dir() else []
        for d in gone:
            log.info("removing the volumes of a pod no longer known", extra={"pod": d.name})
            await asyncio.to_thread(emptydir.unmount_under, d)
            await asyncio.to_thread(shutil.rmtree, d, True)
        return [d.name for d in gone]
