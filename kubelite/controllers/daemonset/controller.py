"""The DaemonSet controller: a daemon pod on every node that should run one.

    DaemonSet informer ─key────────────┐
    pod informer ──────owner's key─────┤
    node informer ─────every DaemonSet─┼─▶ workqueue ──▶ sync(namespace/name)
    ControllerRevision ─owner's key────┘

`sync` claims the DaemonSet's pods (adopting matching orphans), brings its history up to
date (a ControllerRevision per template, `../history.py`), and - unless it still waits to
see its last creations and deletions - for every node (`placement.py`):

    should run, no pod                  create one, pinned to the node by node affinity
    may keep running, failed pod        delete it (Warning FailedDaemonPod), with a
                                        per-node back-off of 1 s doubling to 15 min
    may keep running, several pods      keep the oldest (with maxSurge: one old and one
                                        new pod while the new one becomes available)
    may not keep running                delete its pods
    node gone                           delete its pods not yet bound (bound ones are the
                                        pod garbage collector's, as in Kubernetes)

then rolls out a new template (`update.py`; OnDelete: only pods deleted by someone else
are replaced), deletes old revisions beyond revisionHistoryLimit, and writes the status
(`status.py`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from kubelite.api import errors
from kubelite.api.pods import is_available, is_deleting, is_ready, is_terminal
from kubelite.api.selectors import selector_from_label_selector_object
from kubelite.api.types import Object
from kubelite.client.events import WARNING
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, Requeue, TemporaryError
from kubelite.client.store import object_key, split_key
from kubelite.controllers import history
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.daemonset import placement, status, update
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

DEFAULT_WORKERS = 2  # --concurrent-daemonset-syncs
BURST_REPLICAS = 250
FAILED_BACKOFF, MAX_FAILED_BACKOFF = 1.0, 900.0


class DaemonSetController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.clock = ctx.clock
        self.log = logging.getLogger("kubelite.controllers.daemonset")
        self.daemonsets = ctx.client.resource("daemonsets", group="apps")
        self.pods = ctx.client.resource("pods")
        self.revisions = ctx.client.resource("controllerrevisions", group="apps")
        self.ds_informer = ctx.informers.informer("daemonsets", group="apps")
        self.pod_informer = ctx.informers.informer("pods", indexers={CONTROLLER_UID_INDEX: by_controller_uid})
        self.node_informer = ctx.informers.informer("nodes")
        self.revision_informer = ctx.informers.informer(
            "controllerrevisions", group="apps", indexers={CONTROLLER_UID_INDEX: by_controller_uid}
        )
        self.recorder = ctx.recorder("daemonset-controller")
        self.pod_control = PodControl(ctx.client, self.recorder)
        self.expectations = UIDTrackingExpectations(ctx.clock)
        self.failed_backoff: dict[str, tuple[float, float]] = {}  # ds uid/node -> (until, delay)
        self.controller = Controller(
            "daemonset",
            self.sync,
            workers=ctx.concurrency("daemonset-controller", DEFAULT_WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics("daemonset"),
        )
        self.ds_informer.add_event_handler(
            Handlers(add=self._enqueue, update=lambda old, new: self._enqueue(new), delete=self._ds_deleted)
        )
        self.pod_informer.add_event_handler(
            Handlers(add=self._pod_added, update=self._pod_updated, delete=self._pod_deleted)
        )
        self.node_informer.add_event_handler(
            Handlers(add=self._node_changed, update=self._node_updated, delete=self._node_changed)
        )
        self.revision_informer.add_event_handler(
            Handlers(
                add=self._owned_changed,
                update=lambda o, n: self._owned_changed(n),
                delete=self._owned_changed,
            )
        )
        for informer in (self.ds_informer, self.pod_informer, self.node_informer, self.revision_informer):
            self.controller.track(informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    # ---- event handlers ----

    def _enqueue(self, ds: Object) -> None:
        self.controller.enqueue(object_key(ds))

    def _ds_deleted(self, ds: Object) -> None:
        self.expectations.delete(object_key(ds))
        self._enqueue(ds)

    def _node_changed(self, node: Object) -> None:
        for ds in self.ds_informer.lister.list():
            self._enqueue(ds)

    def _node_updated(self, old: Object, new: Object) -> None:
        def shape(n: Object) -> tuple[object, ...]:
            spec = n.get("spec") or {}
            conditions = [
                (c.get("type"), c.get("status")) for c in (n.get("status") or {}).get("conditions") or []
            ]
            return (n["metadata"].get("labels"), spec.get("taints"), spec.get("unschedulable"), conditions)

        if shape(old) != shape(new):
            self._node_changed(new)

    def _owner(self, obj: Object) -> Object | None:
        ref = controller_ref(obj)
        if ref is None or ref.get("kind") != "DaemonSet":
            return None
        ds = self.ds_informer.lister.get(ref.get("name", ""), obj["metadata"].get("namespace"))
        if ds is None or ds["metadata"].get("uid") != ref.get("uid"):
            return None
        return ds

    def _owned_changed(self, obj: Object) -> None:
        ds = self._owner(obj)
        if ds is not None:
            self._enqueue(ds)

    def _orphan_owners(self, pod: Object) -> list[Object]:
        labels = pod["metadata"].get("labels") or {}
        out = []
        for ds in self.ds_informer.lister.list(pod["metadata"].get("namespace")):
            try:
                selector = selector_from_label_selector_object((ds.get("spec") or {}).get("selector"))
            except errors.BadRequest:
                continue
            if labels and selector.matches(labels):
                out.append(ds)
        return out

    def _pod_added(self, pod: Object) -> None:
        if is_deleting(pod):
            self._pod_deleted(pod)
            return
        ds = self._owner(pod)
        if ds is not None:
            self.expectations.creation_observed(object_key(ds))
            self._enqueue(ds)
        elif controller_ref(pod) is None:
            for candidate in self._orphan_owners(pod):
                self._enqueue(candidate)

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        if is_deleting(new) and not is_deleting(old):
            self._pod_deleted(new)
            return
        old_ds, ds = self._owner(old), self._owner(new)
        if old_ds is not None and (ds is None or old_ds["metadata"]["uid"] != ds["metadata"]["uid"]):
            self._enqueue(old_ds)
        if ds is not None:
            self._enqueue(ds)
            min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
            if min_ready > 0 and not is_ready(old) and is_ready(new):
                self.controller.enqueue_after(object_key(ds), min_ready + 1)
        elif controller_ref(new) is None:
            for candidate in self._orphan_owners(new):
                self._enqueue(candidate)

    def _pod_deleted(self, pod: Object) -> None:
        ds = self._owner(pod)
        if ds is None:
            return
        key = object_key(ds)
        self.expectations.deletion_observed(key, object_key(pod))
        self.controller.enqueue(key)

    # ---- reconcile ----

    async def sync(self, key: str) -> Requeue | None:
        namespace, name = split_key(key)
        ds = self.ds_informer.lister.get(name, namespace)
        if ds is None:
            self.expectations.delete(key)
            return None
        if ds["metadata"].get("deletionTimestamp"):
            return None
        try:
            selector = selector_from_label_selector_object((ds.get("spec") or {}).get("selector"))
        except errors.BadRequest as err:
            self.log.error("invalid selector: %s", err.message, extra={"key": key})
            return None
        pods = await self._claim(ds, lambda p: selector.matches(p["metadata"].get("labels") or {}))
        owned_revisions = self.revision_informer.indexer.by_index(CONTROLLER_UID_INDEX, ds["metadata"]["uid"])
        synced = await history.sync_history(self.revisions, ds, "DaemonSet", owned_revisions)
        if synced.current is None:
            await self._write_status(
                ds, {**(ds.get("status") or {}), "collisionCount": synced.collision_count}
            )
            raise TemporaryError("ControllerRevision name collision; collisionCount raised")
        revision_hash = history.revision_hash(synced.current)
        nodes = self.node_informer.lister.list()
        by_node = _by_node(pods)
        now = self.clock.wall()
        if not self.expectations.satisfied(key):
            counts = status.calculate(ds, nodes, by_node, revision_hash, now)
            await self._write_status(ds, status.new_status(ds, counts, observe=False))
            return None
        requeue, error = await self._manage(key, ds, nodes, by_node, revision_hash)
        if error is None and self.expectations.satisfied(key):
            # Read the pods again: the cache may already show what manage just created.
            fresh = self.pod_informer.indexer.by_index(CONTROLLER_UID_INDEX, ds["metadata"]["uid"])
            error = await self._roll(key, ds, nodes, _by_node(fresh), revision_hash)
        live = {(p["metadata"].get("labels") or {}).get(history.REVISION_HASH_LABEL, "") for p in pods}
        await history.truncate(self.revisions, ds, synced.old, live)
        counts = status.calculate(ds, nodes, by_node, revision_hash, now)
        updated = await self._write_status(ds, status.new_status(ds, counts, observe=True))
        if error is not None:
            raise error
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        st = updated.get("status") or {}
        if min_ready > 0 and st.get("numberReady", 0) != st.get("numberAvailable", 0):
            return _earliest(requeue, min_ready)
        return requeue

    async def _claim(self, ds: Object, matches: Callable[[Object], bool]) -> list[Object]:
        candidates = claim_candidates(self.pod_informer.indexer, ds)
        manager = ControllerRefManager.rechecking(
            self.pods, ds, self.daemonsets, api_version="apps/v1", kind="DaemonSet"
        )
        return await manager.claim(candidates, matches)

    async def _write_status(self, ds: Object, new: Object) -> Object:
        if new == (ds.get("status") or {}):
            return ds
        return await self.daemonsets.update({**ds, "status": new}, subresource="status")

    def _node_plan(
        self, ds: Object, node: Object, pods: list[Object], revision_hash: str
    ) -> tuple[bool, list[Object], float | None]:
        """(needs a pod, pods to delete, retry after) for one node."""
        run, keep = placement.should_run(ds, node)
        live = [p for p in pods if not is_deleting(p)]
        if run and not pods:
            return True, [], None
        if not keep:
            return False, live, None
        delete: list[Object] = []
        running: list[Object] = []
        retry: float | None = None
        for pod in live:
            phase = (pod.get("status") or {}).get("phase")
            if phase == "Failed":
                wait = self._failed_wait(ds, node["metadata"]["name"])
                if wait > 0:
                    retry = wait
                    continue
                self.recorder.event(
                    ds,
                    WARNING,
                    "FailedDaemonPod",
                    f"Found failed daemon pod {pod['metadata'].get('namespace')}/{pod['metadata']['name']} "
                    f"on node {node['metadata']['name']}, will try to kill it",
                )
                delete.append(pod)
            elif phase == "Succeeded":
                delete.append(pod)
            else:
                running.append(pod)
        delete += _surplus(ds, status.oldest_first(running), revision_hash, self.clock.wall())
        return False, delete, retry

    def _failed_wait(self, ds: Object, node: str) -> float:
        key = f"{ds['metadata']['uid']}/{node}"
        now = self.clock.now()
        until, delay = self.failed_backoff.get(key, (0.0, 0.0))
        if now < until:
            return until - now
        delay = min(MAX_FAILED_BACKOFF, delay * 2 if delay else FAILED_BACKOFF)
        self.failed_backoff[key] = (now + delay, delay)
        return 0.0

    async def _manage(
        self, key: str, ds: Object, nodes: list[Object], by_node: dict[str, list[Object]], revision_hash: str
    ) -> tuple[Requeue | None, BaseException | None]:
        create_on: list[str] = []
        delete: list[Object] = []
        requeue: Requeue | None = None
        names = set()
        for node in nodes:
            name = node["metadata"]["name"]
            names.add(name)
            needs, gone, retry = self._node_plan(ds, node, by_node.get(name) or [], revision_hash)
            if needs:
                create_on.append(name)
            delete += gone
            if retry is not None:
                requeue = _earliest(requeue, retry)
        orphaned = [
            p
            for n, pods in by_node.items()
            if n not in names
            for p in pods
            if not is_deleting(p) and not (p.get("spec") or {}).get("nodeName")
        ]
        error = await self._sync_nodes(key, ds, delete, create_on, revision_hash, orphaned)
        return requeue, error

    async def _roll(
        self, key: str, ds: Object, nodes: list[Object], by_node: dict[str, list[Object]], revision_hash: str
    ) -> BaseException | None:
        strategy = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type") or "RollingUpdate"
        if strategy != "RollingUpdate":
            return None
        runs = {n["metadata"]["name"]: placement.should_run(ds, n)[0] for n in nodes}
        desired = sum(runs.values())
        surge, unavailable = update.budgets(ds, desired)
        present = {n: pods for n, pods in by_node.items() if n in runs}
        now = self.clock.wall()
        if surge == 0:
            plan = update.plan_without_surge(ds, present, revision_hash, unavailable, now)
        else:
            plan = update.plan_with_surge(ds, present, revision_hash, surge, now, runs)
        if not plan.delete and not plan.create_on:
            return None
        return await self._sync_nodes(key, ds, plan.delete, plan.create_on, revision_hash, [])

    async def _sync_nodes(
        self,
        key: str,
        ds: Object,
        delete: list[Object],
        create_on: list[str],
        revision_hash: str,
        orphaned: list[Object],
    ) -> BaseException | None:
        create_on = create_on[:BURST_REPLICAS]
        delete = (delete + orphaned)[:BURST_REPLICAS]
        if not create_on and not delete:
            return None
        self.expectations.expect_creations(key, len(create_on))
        self.expectations.raise_(key, delete=len(delete))
        exp = self.expectations.get(key)
        if exp is not None:
            exp.deleting |= {object_key(p) for p in delete}
        results = await asyncio.gather(*(self._delete(key, ds, p) for p in delete), return_exceptions=True)
        errors_seen = [r for r in results if isinstance(r, BaseException)]
        template = placement.daemon_template(ds, revision_hash)
        ref = new_controller_ref(ds, "apps/v1", "DaemonSet")
        queue = list(create_on)
        namespace = ds["metadata"].get("namespace", "")

        async def create_one() -> None:
            node = queue.pop(0)
            try:
                await self.pod_control.create_pod(
                    namespace, placement.pod_template_for(template, node), ds, ref
                )
            except errors.APIError as err:
                if not has_status_cause(err, NAMESPACE_TERMINATING_CAUSE):
                    raise

        created, error = await slow_start_batch(len(create_on), SLOW_START_INITIAL_BATCH_SIZE, create_one)
        if (skipped := len(create_on) - created) > 0:
            self.expectations.lower(key, add=skipped)
        for r in errors_seen:
            if isinstance(r, asyncio.CancelledError):
                raise r
        return error or (errors_seen[0] if errors_seen else None)

    async def _delete(self, key: str, ds: Object, pod: Object) -> None:
        md = pod["metadata"]
        try:
            await self.pod_control.delete_pod(md.get("namespace", ""), md["name"], ds)
        except errors.NotFound:
            self.expectations.deletion_observed(key, object_key(pod))
        except Exception:
            self.expectations.deletion_observed(key, object_key(pod))
            raise


def _by_node(pods: list[Object]) -> dict[str, list[Object]]:
    out: dict[str, list[Object]] = {}
    for pod in pods:
        if is_terminal(pod) and is_deleting(pod):
            continue
        node = placement.target_node(pod)
        if node:
            out.setdefault(node, []).append(pod)
    return out


def _surplus(ds: Object, running: list[Object], revision_hash: str, now: float) -> list[Object]:
    """Pods beyond the one (or, surging, one old and one new) a node may keep."""
    if len(running) <= 1:
        return []
    if not update.allows_surge(ds):
        return running[1:]
    generation = int(ds["metadata"].get("generation") or 0)
    newest: Object | None = None
    oldest_old: Object | None = None
    extra: list[Object] = []
    for pod in running:
        if status.is_updated(pod, revision_hash, generation):
            if newest is None:
                newest = pod
                continue
        elif oldest_old is None:
            oldest_old = pod
            continue
        extra.append(pod)
    if newest is not None and oldest_old is not None:
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        if not is_ready(oldest_old) or is_available(newest, min_ready, now):
            extra.append(oldest_old)
    return extra


def _earliest(requeue: Requeue | None, after: float) -> Requeue:
    return Requeue(after) if requeue is None or after < requeue.after else requeue
