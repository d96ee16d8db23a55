"""The collector's workers: what to do with an object the graph builder queued.

attempt_to_delete(uid) - should this object go?

    virtual node, API says absent ─────▶ virtual delete (the graph drops it, its
                                          dependents are queued)
    owner deleting its dependents ─────▶ no blocking dependents left: remove the
    (foregroundDeletion)                  `foregroundDeletion` finalizer (it goes);
                                          else queue the blocking dependents
    no ownerReferences ────────────────▶ nothing
    owners classified by asking the API:
      some owner exists (solid) ───────▶ keep it; remove references to absent owners
                                          and to owners waiting for their dependents
      an owner waits for dependents ───▶ delete it in the foreground (first making
      and it has dependents itself        its owner references non-blocking if one of
                                          its dependents waits too: a cycle)
      every owner absent ──────────────▶ delete it: Orphan/Foreground if it already
                                          carries that finalizer, else Background

attempt_to_orphan(uid) - an owner deleted with propagationPolicy Orphan: remove its
reference from every dependent, then its `orphan` finalizer.

Deletes carry the object's uid as a precondition, so a namesake created meanwhile is
never hit. Finalizers are removed by a merge patch pinned to the resourceVersion read
just before, retried on conflict.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.reconcile import PermanentError, Requeue, TemporaryError
from kubelite.client.resource import APIClient, PatchType, ResourceClient
from kubelite.controllers.garbagecollector.graph import (
    FOREGROUND_FINALIZER,
    ORPHAN_FINALIZER,
    AbsentOwnerCache,
    Graph,
    Identity,
    Node,
)
from kubelite.controllers.garbagecollector.graph_builder import GraphBuilder
from kubelite.controllers.garbagecollector.monitors import Monitors

log = logging.getLogger("kubelite.controllers.garbagecollector")
_FINALIZER_RETRIES = 5


class NamespacedOwnerOfClusterScopedObject(PermanentError):
    """A cluster-scoped object names a namespaced owner: no retry can fix that."""


@dataclass(slots=True)
class Classified:
    solid: list[Object] = field(default_factory=list)
    dangling: list[Object] = field(default_factory=list)
    waiting: list[Object] = field(default_factory=list)  # owners deleting their dependents


class Collector:
    def __init__(
        self,
        client: APIClient,
        graph: Graph,
        builder: GraphBuilder,
        monitors: Monitors,
        absent: AbsentOwnerCache,
    ) -> None:
        self.client = client
        self.graph = graph
        self.builder = builder
        self.monitors = monitors
        self.absent = absent

    def _resources(self, identity: Identity) -> ResourceClient:
        resource = self.monitors.mapper.resource_for(identity.api_version, identity.kind)
        return self.client.for_resource(resource)

    async def _get(self, identity: Identity) -> Object | None:
        """The object now, from the API; None when absent (or replaced by a namesake)."""
        resources = self._resources(identity)
        ns = identity.namespace if resources.resource.namespaced else None
        try:
            obj = await resources.get(identity.name, namespace=ns)
        except errors.NotFound:
            return None
        return obj if obj["metadata"].get("uid") == identity.uid else None

    # ---- attempt to delete ----

    async def attempt_to_delete(self, uid: str) -> Requeue | None:
        node = self.graph.get(uid)
        if node is None:
            return None
        if node.being_deleted and not node.deleting_dependents:
            return None  # going already, by someone else's doing
        latest = await self._get(node.identity)
        if latest is None:
            self.builder.virtual_delete(node.identity)
            return None
        if node.deleting_dependents:
            await self._process_deleting_dependents(node)
        else:
            await self._decide(node, latest)
        if not node.observed:
            raise TemporaryError("not observed by an informer yet")  # look again later
        return None

    async def _decide(self, node: Node, latest: Object) -> None:
        refs = [r for r in latest["metadata"].get("ownerReferences") or [] if r.get("uid")]
        if not refs:
            return
        c = await self._classify(node, refs)
        if c.solid:
            if c.dangling or c.waiting:
                await self._remove_owner_refs(node, [r["uid"] for r in c.dangling + c.waiting])
            return
        if c.waiting and node.dependents:
            if any(dep.deleting_dependents for dep in node.dependents.values()):
                # A cycle of foreground deletions: stop blocking our owners, or each waits
                # for the other forever.
                await self._unblock_owner_refs(node, latest)
            log.info("deleting in the foreground: an owner waits for it", extra={"item": str(node.identity)})
            await self._delete(node, latest, "Foreground")
            return
        fins = latest["metadata"].get("finalizers") or []
        policy = (
            "Orphan"
            if ORPHAN_FINALIZER in fins
            else "Foreground"
            if FOREGROUND_FINALIZER in fins
            else "Background"
        )
        log.info("deleting item", extra={"item": str(node.identity), "propagationPolicy": policy})
        await self._delete(node, latest, policy)

    async def _classify(self, node: Node, refs: list[Object]) -> Classified:
        c = Classified()
        for ref in refs:
            owner = await self._owner(node, ref)
            if owner is None:
                c.dangling.append(ref)
            elif owner["metadata"].get("deletionTimestamp") and FOREGROUND_FINALIZER in (
                owner["metadata"].get("finalizers") or []
            ):
                c.waiting.append(ref)
            else:
                c.solid.append(ref)
        return c

    async def _owner(self, node: Node, ref: Object) -> Object | None:
        """The owner `ref` names, or None when it does not exist (it dangles)."""
        cluster_key = Identity.of_owner(ref, "")
        namespaced_key = Identity.of_owner(ref, node.identity.namespace)
        if cluster_key in self.absent or namespaced_key in self.absent:
            return None
        resources = self._resources(cluster_key)
        namespaced = resources.resource.namespaced
        if namespaced and not node.identity.namespace:
            self.builder.report_invalid_namespace(node, ref["uid"])
            raise NamespacedOwnerOfClusterScopedObject(
                f"{node.identity} is cluster-scoped but names a namespaced owner "
                f"{ref.get('kind')} {ref.get('name')}"
            )
        key = namespaced_key if namespaced else cluster_key
        try:
            owner = await resources.get(
                ref.get("name", ""), namespace=node.identity.namespace if namespaced else None
            )
        except errors.NotFound:
            self.absent.add(key)
            return None
        if owner["metadata"].get("uid") != ref["uid"]:
            self.absent.add(key)
            return None
        return owner

    async def _delete(self, node: Node, latest: Object, policy: str) -> None:
        """Delete with the uid and the resourceVersion just read as preconditions; if the
        version moved but the ownerReferences did not, delete on the uid alone (a status
        write must not stall the collector; a new owner must stop it)."""
        resources = self._resources(node.identity)
        ns = node.identity.namespace or None
        name, rv = node.identity.name, latest["metadata"].get("resourceVersion", "")
        try:
            await resources.delete(
                name,
                namespace=ns,
                propagation_policy=policy,
                preconditions={"uid": node.uid, "resourceVersion": rv},
            )
            return
        except errors.NotFound:
            return
        except errors.Conflict:
            live = await self._get(node.identity)
            if live is None:
                return
            if live["metadata"].get("ownerReferences") != latest["metadata"].get("ownerReferences"):
                raise
        try:
            await resources.delete(
                name, namespace=ns, propagation_policy=policy, preconditions={"uid": node.uid}
            )
        except errors.NotFound:
            pass

    async def _remove_owner_refs(self, node: Node, owner_uids: list[str]) -> None:
        patch = {
            "metadata": {
                "ownerReferences": [{"$patch": "delete", "uid": u} for u in owner_uids],
                "uid": node.uid,
            }
        }
        await self._patch(node, patch)

    async def _unblock_owner_refs(self, node: Node, latest: Object) -> None:
        refs = [
            {"uid": r["uid"], "blockOwnerDeletion": False}
            for r in latest["metadata"].get("ownerReferences") or []
            if r.get("blockOwnerDeletion")
        ]
        if refs:
            await self._patch(node, {"metadata": {"ownerReferences": refs, "uid": node.uid}})

    async def _patch(self, node: Node, patch: Object) -> None:
        resources = self._resources(node.identity)
        try:
            await resources.patch(
                node.identity.name,
                patch,
                namespace=node.identity.namespace or None,
                patch_type=PatchType.STRATEGIC,
            )
        except errors.NotFound:
            pass

    async def _process_deleting_dependents(self, node: Node) -> None:
        blocking = node.blocking_dependents()
        if not blocking:
            log.info("removing the foregroundDeletion finalizer", extra={"item": str(node.identity)})
            await self.remove_finalizer(node, FOREGROUND_FINALIZER)
            return
        for dep in blocking:
            if not dep.deleting_dependents:
                self.builder.attempt_to_delete(dep.uid)

    # ---- attempt to orphan ----

    async def attempt_to_orphan(self, uid: str) -> Requeue | None:
        owner = self.graph.get(uid)
        if owner is None:
            return None
        dependents = list(owner.dependents.values())
        results = await asyncio.gather(
            *(self._remove_owner_refs(dep, [owner.uid]) for dep in dependents), return_exceptions=True
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        await self.remove_finalizer(owner, ORPHAN_FINALIZER)
        return None

    async def remove_finalizer(self, node: Node, finalizer: str) -> None:
        """Remove `finalizer` from the object, pinned to the version just read; retried on
        conflict (another finalizer may have gone meanwhile)."""
        for attempt in range(_FINALIZER_RETRIES):
            latest = await self._get(node.identity)
            if latest is None:
                return
            fins = latest["metadata"].get("finalizers") or []
            if finalizer not in fins:
                return
            patch = {
                "metadata": {
                    "finalizers": [f for f in fins if f != finalizer],
                    "resourceVersion": latest["metadata"]["resourceVersion"],
                }
            }
            try:
                await self._resources(node.identity).patch(
                    node.identity.name,
                    patch,
                    namespace=node.identity.namespace or None,
                    patch_type=PatchType.MERGE,
                )
                return
            except errors.Conflict:
                if attempt == _FINALIZER_RETRIES - 1:
                    raise
            except errors.NotFound:
                return
