"""The ReplicaSet (and ReplicationController) controller: keep N matching pods running.

    ReplicaSet informer ──key──┐
    pod informer ──owner's key─┴─▶ workqueue ──▶ sync(namespace/name)
      (counts expected creations/deletions as they arrive)

`sync` reads the owner and its candidate pods from the caches (pods it controls, and
orphans of its namespace), claims them (adopting orphans its selector matches, releasing
its pods that stopped matching; see `ownership.py`), and then, unless it still waits for
the effects of its last actions to reach the cache (`expectations.py`):

- too few active pods: create the difference, at most 500 per sync, in slow-start batches
  of 1, 2, 4, ... (`podcontrol.py`);
- too many: delete the difference, at most 500 per sync, choosing pods as Kubernetes ranks
  them (`ranking.py`), all at once;

and finally writes the status (`status.py`). A failure to create or delete shows as the
ReplicaFailure condition and is retried with back-off. With minReadySeconds, the owner is
looked at again when its Ready pods become available.

Pod events map to owners as Kubernetes maps them: a pod with a controller reference wakes
that owner (an add counts as an expected creation; a deletion, or a deletionTimestamp
appearing, as an expected deletion); an orphan wakes every owner whose selector matches it
(a candidate for adoption); a pod whose labels or owner changed wakes its old owners too.
"""

from __future__ import annotations

import asyncio
import logging

from kubelite.api import errors
from kubelite.api.pods import is_deleting, is_ready, is_terminal
from kubelite.api.types import Object
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, Requeue
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.expectations import UIDTrackingExpectations
from kubelite.controllers.ownership import (
    CONTROLLER_UID_INDEX,
    ControllerRefManager,
    by_controller_uid,
    claim_candidates,
    controller_ref,
    new_controller_ref,
)
from kubelite.controllers.podcontrol import (
    NAMESPACE_TERMINATING_CAUSE,
    SLOW_START_INITIAL_BATCH_SIZE,
    PodControl,
    has_status_cause,
    slow_start_batch,
)
from kubelite.controllers.replicaset.kinds import REPLICA_SET, ReplicaKind
from kubelite.controllers.replicaset.ranking import pods_to_delete
from kubelite.controllers.replicaset.status import calculate_status, update_status

BURST_REPLICAS = 500  # the most pods one sync creates or deletes
DEFAULT_WORKERS = 5  # --concurrent-replicaset-syncs / --concurrent-rc-syncs


def is_active(pod: Object) -> bool:
    return not is_terminal(pod) and not is_deleting(pod)


class ReplicaSetController:
    def __init__(self, ctx: ControllerContext, kind: ReplicaKind = REPLICA_SET) -> None:
        self.kind = kind
        self.clock = ctx.clock
        self.log = logging.getLogger(f"kubelite.controllers.{kind.queue_name}")
        self.owners = ctx.client.resource(kind.plural, group=kind.group)
        self.pods = ctx.client.resource("pods")
        self.owner_informer = ctx.informers.informer(kind.plural, group=kind.group)
        self.pod_informer = ctx.informers.informer("pods", indexers={CONTROLLER_UID_INDEX: by_controller_uid})
        self.recorder = ctx.recorder(kind.component)
        self.pod_control = PodControl(ctx.client, self.recorder)
        self.expectations = UIDTrackingExpectations(ctx.clock)
        self.burst_replicas = BURST_REPLICAS
        self.controller = Controller(
            kind.queue_name,
            self.sync,
            workers=ctx.concurrency(kind.controller_name, DEFAULT_WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics(kind.queue_name),
        )
        self.owner_informer.add_event_handler(
            Handlers(add=self._owner_added, update=self._owner_updated, delete=self._owner_deleted)
        )
        self.pod_informer.add_event_handler(
            Handlers(add=self._pod_added, update=self._pod_updated, delete=self._pod_deleted)
        )
        self.controller.track(self.owner_informer)
        self.controller.track(self.pod_informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    # ---- event handlers: compute keys, count expectations, enqueue ----

    def _owner_added(self, owner: Object) -> None:
        self.controller.enqueue(object_key(owner))

    def _owner_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("uid") != new["metadata"].get("uid"):
            self._owner_deleted(old)  # deleted and recreated under the same name
        self.controller.enqueue(object_key(new))

    def _owner_deleted(self, owner: Object) -> None:
        key = object_key(owner)
        self.expectations.delete(key)
        self.controller.enqueue(key)

    def _resolve(self, namespace: str, ref: Object) -> Object | None:
        if ref.get("kind") != self.kind.kind:
            return None
        owner = self.owner_informer.lister.get(ref.get("name", ""), namespace)
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return owner

    def _matching_owners(self, pod: Object) -> list[Object]:
        labels = pod["metadata"].get("labels") or {}
        if not labels:
            return []
        return [
            o
            for o in self.owner_informer.lister.list(pod["metadata"].get("namespace"))
            if self.kind.selector(o).matches(labels)
        ]

    def _pod_added(self, pod: Object) -> None:
        if is_deleting(pod):
            self._pod_deleted(pod)  # seen for the first time already going: count it as gone
            return
        ref = controller_ref(pod)
        if ref is not None:
            owner = self._resolve(pod["metadata"].get("namespace", ""), ref)
            if owner is not None:
                key = object_key(owner)
                self.expectations.creation_observed(key)
                self.controller.enqueue(key)
            return
        for owner in self._matching_owners(pod):
            self.controller.enqueue(object_key(owner))

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return  # a resync: nothing changed
        labels_changed = old["metadata"].get("labels") != new["metadata"].get("labels")
        if is_deleting(new):
            # Graceful deletion started: treat it as the deletion, so a replacement is made
            # now rather than after the grace period.
            self._pod_deleted(new)
            if labels_changed:
                self._pod_deleted(old)
            return
        ns = new["metadata"].get("namespace", "")
        old_ref, new_ref = controller_ref(old), controller_ref(new)
        ref_changed = old_ref != new_ref
        if ref_changed and old_ref is not None and (owner := self._resolve(ns, old_ref)) is not None:
            self.controller.enqueue(object_key(owner))
        if new_ref is not None:
            owner = self._resolve(ns, new_ref)
            if owner is not None:
                self.controller.enqueue(object_key(owner))
                min_ready = int((owner.get("spec") or {}).get("minReadySeconds") or 0)
                if min_ready > 0 and not is_ready(old) and is_ready(new):
                    # Available only minReadySeconds after Ready: look again then.
                    self.controller.enqueue_after(object_key(owner), min_ready + 1)
            return
        if labels_changed or ref_changed:
            for owner in self._matching_owners(new):
                self.controller.enqueue(object_key(owner))

    def _pod_deleted(self, pod: Object) -> None:
        ref = controller_ref(pod)
        if ref is None:
            return
        owner = self._resolve(pod["metadata"].get("namespace", ""), ref)
        if owner is None:
            return
        key = object_key(owner)
        self.expectations.deletion_observed(key, object_key(pod))
        self.controller.enqueue(key)

    # ---- reconcile ----

    async def sync(self, key: str) -> Requeue | None:
        namespace, name = split_key(key)
        owner = self.owner_informer.lister.get(name, namespace)
        if owner is None:
            self.expectations.delete(key)
            return None
        needs_sync = self.expectations.satisfied(key)
        try:
            selector = self.kind.selector(owner)
        except errors.BadRequest as err:
            self.log.error("invalid selector: %s", err.message, extra={"key": key})
            return None
        candidates = [p for p in self._candidates(owner) if is_active(p)]
        manager = ControllerRefManager.rechecking(
            self.pods, owner, self.owners, api_version=self.kind.api_version, kind=self.kind.kind
        )
        pods = await manager.claim(candidates, lambda p: selector.matches(p["metadata"].get("labels") or {}))
        manage_error: BaseException | None = None
        if needs_sync and not owner["metadata"].get("deletionTimestamp"):
            manage_error = await self.manage_replicas(key, owner, pods)
        status = calculate_status(owner, pods, manage_error, self.clock.wall())
        updated = await update_status(self.owners, owner, status)
        if manage_error is not None:
            raise manage_error
        return self._recheck_availability(updated)

    def _recheck_availability(self, owner: Object) -> Requeue | None:
        spec, status = owner.get("spec") or {}, owner.get("status") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        replicas = int(spec.get("replicas", 1))
        if (
            min_ready > 0
            and status.get("readyReplicas", 0) == replicas
            and status.get("availableReplicas", 0) != replicas
        ):
            return Requeue(min_ready)
        return None

    def _candidates(self, owner: Object) -> list[Object]:
        """Pods this owner controls, and the orphans of its namespace it might adopt."""
        return claim_candidates(self.pod_informer.indexer, owner)

    async def manage_replicas(self, key: str, owner: Object, pods: list[Object]) -> BaseException | None:
        """Create or delete pods to reach spec.replicas; the error that stopped it, if any."""
        want = int((owner.get("spec") or {}).get("replicas", 1))
        diff = len(pods) - want
        if diff < 0:
            return await self._create(key, owner, min(-diff, self.burst_replicas))
        if diff > 0:
            return await self._delete(key, owner, pods, min(diff, self.burst_replicas))
        return None

    async def _create(self, key: str, owner: Object, count: int) -> BaseException | None:
        self.expectations.expect_creations(key, count)
        namespace = owner["metadata"].get("namespace", "")
        template = (owner.get("spec") or {}).get("template") or {}
        ref = new_controller_ref(owner, self.kind.api_version, self.kind.kind)

        async def create_one() -> None:
            try:
                await self.pod_control.create_pod(namespace, template, owner, ref)
            except errors.APIError as err:
                if not has_status_cause(err, NAMESPACE_TERMINATING_CAUSE):
                    raise
                # The namespace is going away: nothing more to do for this pod.

        created, error = await slow_start_batch(count, SLOW_START_INITIAL_BATCH_SIZE, create_one)
        if (skipped := count - created) > 0:
            # These will never show up in the cache: stop waiting for them.
            self.expectations.lower(key, add=skipped)
        return error

    async def _delete(self, key: str, owner: Object, pods: list[Object], count: int) -> BaseException | None:
        victims = pods_to_delete(pods, self._related_pods(owner), count, self.clock.wall())
        self.expectations.expect_deletions(key, [object_key(p) for p in victims])
        namespace = owner["metadata"].get("namespace", "")

        async def delete_one(pod: Object) -> None:
            try:
                await self.pod_control.delete_pod(namespace, pod["metadata"]["name"], owner)
            except errors.NotFound:
                self.expectations.deletion_observed(key, object_key(pod))
            except Exception:
                self.expectations.deletion_observed(key, object_key(pod))
                raise

        results = await asyncio.gather(*(delete_one(p) for p in victims), return_exceptions=True)
        for r in results:
            if isinstance(r, asyncio.CancelledError):
                raise r
        return next((r for r in results if isinstance(r, BaseException)), None)

    def _related_pods(self, owner: Object) -> list[Object]:
        """Pods of every ReplicaSet that shares this one's controller (the same Deployment's
        old and new ReplicaSets), for ranking pods that share a node."""
        ref = controller_ref(owner)
        if ref is None:
            siblings = [owner]
        else:
            siblings = [
                o
                for o in self.owner_informer.lister.list(owner["metadata"].get("namespace"))
                if (r := controller_ref(o)) is not None and r.get("uid") == ref.get("uid")
            ]
        index = self.pod_informer.indexer
        return [p for s in siblings for p in index.by_index(CONTROLLER_UID_INDEX, s["metadata"]["uid"])]
