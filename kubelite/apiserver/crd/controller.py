"""The CRD controller: what kube-apiserver's apiextensions controllers do, in one loop.

    CRD added or changed        names free in its group?
      ├─ yes: cache its objects' prefix, serve each served version (catalogue entries
      │       carry the version's schema), status.acceptedNames = its names,
      │       NamesAccepted=True (NoConflicts), Established=True (InitialNamesAccepted)
      └─ no:  NamesAccepted=False (<Name>Conflict), nothing new is served
    CRD marked for deletion     its entries say "terminating" (creates answer 405); every
                                custom object is deleted (Terminating condition:
                                InstanceDeletionInProgress); once none is left, the cleanup
                                finalizer goes and with it the CRD
    CRD gone                    its catalogue entries go
    after every change          the local APIServices follow the served group-versions
                                (`apiservices.py`)

Discovery and OpenAPI read the catalogue, so they follow at once. Work is keyed by CRD name
and retried after a second when it fails or waits for objects with finalizers. The
controller runs inside every API server process; with several API servers on one etcd each
keeps its own catalogue and their status writes agree.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from typing import Any

from kubelite.api import errors
from kubelite.api.crd.definition import (
    CLEANUP_FINALIZER,
    served_types,
    storage_prefix,
    version_priority,
)
from kubelite.api.resources import ResourceType
from kubelite.apiserver import apiservices
from kubelite.apiserver.crd import rules
from kubelite.apiserver.registry import DeleteOptions, ListOptions, Registry, RequestContext

log = logging.getLogger("kubelite.apiserver.crd")

_SYSTEM = RequestContext(user="system:apiserver", groups=("system:masters",), field_manager="kube-apiserver")
_NAME_FIELDS = (
    ("plural", "PluralConflict"),
    ("singular", "SingularConflict"),
    ("kind", "KindConflict"),
    ("listKind", "ListKindConflict"),
)
RETRY_SECONDS = 1.0


class CRDController:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.catalog = registry.catalog
        rt = self.catalog.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert rt is not None
        self.crd_rt = rt
        # CRD name -> the catalogue keys it serves
        self._served: dict[str, list[tuple[str, str, str]]] = {}
        self.synced = asyncio.Event()

    async def sync_existing(self) -> None:
        """Serve the CRDs already stored (at start, before the API server listens)."""
        await self.registry.fresh()
        names = {
            co.obj["metadata"]["name"]
            for co in self.registry.cache.resource(self.crd_rt.key_prefix).objects.values()
        }
        await self._sync_all(names)

    async def run(self) -> None:
        await self.registry.fresh()
        watcher, initial, _ = self.registry.watch(self.crd_rt, "", ListOptions(), send_initial=True)
        pending = {co.obj["metadata"]["name"] for _, co in initial}
        try:
            while True:
                retry = await self._sync_all(pending)
                if pending:
                    await apiservices.sync(self.registry)
                self.synced.set()
                pending = set(retry)
                await watcher.wait(RETRY_SECONDS if retry else None)
                pending.update(co.obj["metadata"]["name"] for _, co in watcher.drain())
                if watcher.closed:  # the cache relisted: look at every CRD again
                    self.registry.stop_watch(self.crd_rt, watcher)
                    await self.registry.fresh()
                    watcher, initial, _ = self.registry.watch(
                        self.crd_rt, "", ListOptions(), send_initial=True
                    )
                    pending.update(co.obj["metadata"]["name"] for _, co in initial)
                    pending.update(self._served)
        finally:
            self.registry.stop_watch(self.crd_rt, watcher)

    async def _sync_all(self, names: set[str]) -> list[str]:
        retry = []
        for name in sorted(names):
            try:
                if not await self.sync(name):
                    retry.append(name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning(
                    "syncing a CustomResourceDefinition failed; retrying", exc_info=True, extra={"crd": name}
                )
                retry.append(name)
        return retry

    async def sync(self, name: str) -> bool:
        """Bring the catalogue and the CRD's status in line with the CRD; False to retry."""
        cur = self.registry.peek(self.crd_rt, "", name)
        if cur is None:
            self._unserve(name)
            return True
        crd = copy.deepcopy(cur.obj)
        if crd["metadata"].get("deletionTimestamp"):
            if name in self._served:
                self._serve(name, crd)
            return await self._clean_up(name, crd)
        conflict = self._conflict(crd)
        if conflict is None:
            spec = crd.get("spec") or {}
            names = spec.get("names") or {}
            await self.registry.cache.add_resource(
                storage_prefix(spec.get("group", ""), names.get("plural", ""))
            )
            crd.setdefault("status", {})["acceptedNames"] = names
            self._serve(name, crd)
        await self._write_status(name, conflict)
        return True

    # ---- names --------------------------------------------------------------------------------

    def _conflict(self, crd: dict[str, Any]) -> tuple[str, str] | None:
        """(reason, message) when a name is taken by another CRD of the group, else None."""
        spec = crd.get("spec") or {}
        mine = spec.get("names") or {}
        group = spec.get("group")
        for other in self.registry.cache.resource(self.crd_rt.key_prefix).objects.values():
            theirs_crd = other.obj
            if theirs_crd["metadata"]["name"] == crd["metadata"]["name"]:
                continue
            if (theirs_crd.get("spec") or {}).get("group") != group:
                continue
            theirs = (theirs_crd.get("status") or {}).get("acceptedNames") or {}
            for field, reason in _NAME_FIELDS:
                if mine.get(field) and mine.get(field) == theirs.get(field):
                    return reason, f'"{mine[field]}" is already in use'
            taken = set(theirs.get("shortNames") or ())
            for short in mine.get("shortNames") or ():
                if short in taken:
                    return "ShortNamesConflict", f'"{short}" is already in use'
        return None

    async def _write_status(self, name: str, conflict: tuple[str, str] | None) -> None:
        def mutate(crd: dict[str, Any]) -> dict[str, Any]:
            if conflict is None:
                crd.setdefault("status", {})["acceptedNames"] = copy.deepcopy(
                    (crd.get("spec") or {}).get("names") or {}
                )
                rules.set_condition(crd, "NamesAccepted", "True", "NoConflicts", "no conflicts found")
                rules.set_condition(
                    crd, "Established", "True", "InitialNamesAccepted", "the initial names have been accepted"
                )
            else:
                rules.set_condition(crd, "NamesAccepted", "False", *conflict)
                if not _established(crd):
                    rules.set_condition(
                        crd, "Established", "False", "NotAccepted", "not all names are accepted"
                    )
            return crd

        try:
            await self.registry.update(self.crd_rt, "", name, mutate, _SYSTEM, subresource="status")
        except errors.NotFound:
            pass

    # ---- the catalogue -----------------------------------------------------------------------------

    def _serve(self, name: str, crd: dict[str, Any]) -> None:
        for key in self._served.pop(name, []):
            self.catalog.remove(*key)
        types = served_types(crd)
        for rt in types:
            self.catalog.add(rt)
        self._served[name] = [(rt.group, rt.version, rt.plural) for rt in types]
        self._order_custom_groups()

    def _unserve(self, name: str) -> None:
        keys = self._served.pop(name, None)
        if keys is None:
            return
        for key in keys:
            self.catalog.remove(*key)
        log.info("CustomResourceDefinition no longer served", extra={"crd": name})

    def _order_custom_groups(self) -> None:
        """Custom groups follow the built-in ones, by name; versions by Kubernetes' priority."""
        custom = [rt for rt in self.catalog if rt.custom is not None]
        for rt in custom:
            self.catalog.remove(rt.group, rt.version, rt.plural)
        for rt in sorted(custom, key=lambda t: (t.group, version_priority(t.version), t.plural)):
            self.catalog.add(rt)

    # ---- deletion ------------------------------------------------------------------------------------

    async def _clean_up(self, name: str, crd: dict[str, Any]) -> bool:
        if CLEANUP_FINALIZER not in (crd["metadata"].get("finalizers") or ()):
            return True
        rt = self._storage_type(crd)
        remaining = 0
        if rt is not None:
            await self._set_terminating(
                name, "InstanceDeletionInProgress", "CustomResource deletion is in progress"
            )
            remaining = await self._delete_objects(rt)
        if remaining:
            return False
        await self._set_terminating(name, "InstanceDeletionCompleted", "removed all instances")

        def drop_finalizer(obj: dict[str, Any]) -> dict[str, Any]:
            md = obj["metadata"]
            md["finalizers"] = [f for f in md.get("finalizers") or () if f != CLEANUP_FINALIZER]
            if not md["finalizers"]:
                del md["finalizers"]
            return obj

        try:
            await self.registry.update(self.crd_rt, "", name, drop_finalizer, _SYSTEM)
        except errors.NotFound:
            pass
        return True

    def _storage_type(self, crd: dict[str, Any]) -> ResourceType | None:
        """A catalogue entry addressing the CRD's objects (any version: they share storage)."""
        spec = copy.deepcopy(crd.get("spec") or {})
        for v in spec.get("versions") or ():
            v["served"] = True
        types = served_types({**crd, "spec": spec})
        return types[0] if types else None

    async def _delete_objects(self, rt: ResourceType) -> int:
        """Delete every object of the CRD; how many are left (those waiting for finalizers)."""
        rc = await self.registry.cache.add_resource(rt.key_prefix)
        for co in list(rc.objects.values()):
            md = co.obj["metadata"]
            if md.get("deletionTimestamp"):
                continue
            try:
                await self.registry.delete(rt, md.get("namespace", ""), md["name"], DeleteOptions(), _SYSTEM)
            except errors.NotFound:
                pass
        await self.registry.fresh()
        return len(rc.objects)

    async def _set_terminating(self, name: str, reason: str, message: str) -> None:
        def mutate(crd: dict[str, Any]) -> dict[str, Any]:
            rules.set_condition(crd, "Terminating", "True", reason, message)
            return crd

        try:
            await self.registry.update(self.crd_rt, "", name, mutate, _SYSTEM, subresource="status")
        except errors.NotFound:
            pass


def _established(crd: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Established" and c.get("status") == "True"
        for c in (crd.get("status") or {}).get("conditions") or ()
    )
