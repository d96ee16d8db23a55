"""The Deployment controller: roll a Deployment's pods out through its ReplicaSets.

    Deployment informer ──key────┐
    ReplicaSet informer ─owner's─┼─▶ workqueue ──▶ sync(namespace/name)
    pod informer (Recreate: the ──┘
      last old pod going away)

`sync` claims the ReplicaSets the Deployment's selector matches (adopting orphans,
releasing strays, as `ownership.py` does for pods), then takes the first branch that
applies:

    being deleted ───────────▶ status only
    paused ──────────────────▶ Progressing Unknown "DeploymentPaused"; scale only (a
                               template change waits), clean up history, status
    a scaling event ─────────▶ scale (proportionally during a rollout: `scaling.py`),
                               status
    RollingUpdate ───────────▶ one step of `rolling.py`
    Recreate ────────────────▶ one step of `recreate.py`

Each step acts through the API and returns; the changes it causes (ReplicaSet status as
pods become available) wake the Deployment for the next one. The new ReplicaSet,
revisions and clean-up are `history.py`; status and conditions `progress.py`.

Departure from Kubernetes, on purpose: the deprecated `deprecated.deployment.rollback.to`
annotation (extensions/v1beta1's rollbackTo) is not acted on; apps/v1 has no rollbackTo
and `kubectl rollout undo` rolls back by patching the template.
"""

from __future__ import annotations

import asyncio
import copy
import logging

from kubelite.api.selectors.labels import LabelSelector, selector_from_label_selector_object
from kubelite.api.types import Object
from kubelite.client.events import WARNING
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, Requeue
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.deployment import util
from kubelite.controllers.deployment.conditions import (
    PAUSED,
    PROGRESSING,
    RESUMED,
    TIMED_OUT,
    get_condition,
    new_condition,
    set_condition,
)
from kubelite.controllers.deployment.history import all_replica_sets_and_sync_revision, cleanup
from kubelite.controllers.deployment.progress import sync_deployment_status
from kubelite.controllers.deployment.recreate import rollout_recreate
from kubelite.controllers.deployment.rolling import rollout_rolling
from kubelite.controllers.deployment.scaling import is_scaling_event, scale
from kubelite.controllers.deployment.state import Sync
from kubelite.controllers.ownership import (
    CONTROLLER_UID_INDEX,
    ControllerRefManager,
    by_controller_uid,
    controller_ref,
)

NAME = "deployment-controller"
ALIAS = "deployment"
COMPONENT = "deployment-controller"
QUEUE_NAME = "deployment"
DEFAULT_WORKERS = 5  # --concurrent-deployment-syncs


def selector_of(d: Object) -> LabelSelector | None:
    """The deployment's selector; None for an empty one (it would select every pod)."""
    raw = (d.get("spec") or {}).get("selector")
    if not raw or (not raw.get("matchLabels") and not raw.get("matchExpressions")):
        return None
    return selector_from_label_selector_object(raw)


class DeploymentController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.clock = ctx.clock
        self.log = logging.getLogger("kubelite.controllers.deployment")
        self.deployments = ctx.client.resource("deployments", group="apps")
        self.replicasets = ctx.client.resource("replicasets", group="apps")
        self.d_informer = ctx.informers.informer("deployments", group="apps")
        self.rs_informer = ctx.informers.informer(
            "replicasets", group="apps", indexers={CONTROLLER_UID_INDEX: by_controller_uid}
        )
        self.pod_informer = ctx.informers.informer("pods", indexers={CONTROLLER_UID_INDEX: by_controller_uid})
        self.recorder = ctx.recorder(COMPONENT)
        self.controller = Controller(
            QUEUE_NAME,
            self.sync,
            workers=ctx.concurrency(NAME, DEFAULT_WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics(QUEUE_NAME),
        )
        self.controller.watch(self.d_informer)
        self.rs_informer.add_event_handler(
            Handlers(add=self._rs_added, update=self._rs_updated, delete=self._rs_deleted)
        )
        self.pod_informer.add_event_handler(Handlers(delete=self._pod_deleted))
        self.controller.track(self.rs_informer)
        self.controller.track(self.pod_informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    # ---- event handlers ----

    def _resolve(self, namespace: str, ref: Object | None) -> Object | None:
        if ref is None or ref.get("kind") != "Deployment":
            return None
        d = self.d_informer.lister.get(ref.get("name", ""), namespace)
        if d is None or d["metadata"].get("uid") != ref.get("uid"):
            return None
        return d

    def _matching(self, rs: Object) -> list[Object]:
        labels = rs["metadata"].get("labels") or {}
        if not labels:
            return []
        out = []
        for d in self.d_informer.lister.list(rs["metadata"].get("namespace")):
            selector = selector_of(d)
            if selector is not None and selector.matches(labels):
                out.append(d)
        return out

    def _enqueue_owner_or_matching(self, rs: Object) -> None:
        ref = controller_ref(rs)
        if ref is not None:
            if (d := self._resolve(rs["metadata"].get("namespace", ""), ref)) is not None:
                self.controller.enqueue(object_key(d))
            return
        for d in self._matching(rs):
            self.controller.enqueue(object_key(d))

    def _rs_added(self, rs: Object) -> None:
        if rs["metadata"].get("deletionTimestamp"):
            self._rs_deleted(rs)
            return
        self._enqueue_owner_or_matching(rs)

    def _rs_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        ns = new["metadata"].get("namespace", "")
        old_ref, new_ref = controller_ref(old), controller_ref(new)
        if old_ref != new_ref and (d := self._resolve(ns, old_ref)) is not None:
            self.controller.enqueue(object_key(d))
        if new_ref is not None:
            if (d := self._resolve(ns, new_ref)) is not None:
                self.controller.enqueue(object_key(d))
            return
        if old["metadata"].get("labels") != new["metadata"].get("labels") or old_ref != new_ref:
            for d in self._matching(new):
                self.controller.enqueue(object_key(d))

    def _rs_deleted(self, rs: Object) -> None:
        if (d := self._resolve(rs["metadata"].get("namespace", ""), controller_ref(rs))) is not None:
            self.controller.enqueue(object_key(d))

    def _pod_deleted(self, pod: Object) -> None:
        """A Recreate rollout waits for the last old pod to go: wake it then."""
        ns = pod["metadata"].get("namespace", "")
        ref = controller_ref(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.rs_informer.lister.get(ref.get("name", ""), ns)
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return
        d = self._resolve(ns, controller_ref(rs))
        if d is None or util.is_rolling_update(d):
            return
        if not any(self._pods_by_rs(d, self._owned_replica_sets(d)).values()):
            self.controller.enqueue(object_key(d))

    # ---- reconcile ----

    def _owned_replica_sets(self, d: Object) -> list[Object]:
        return self.rs_informer.indexer.by_index(CONTROLLER_UID_INDEX, d["metadata"]["uid"])

    def _pods_by_rs(self, d: Object, rss: list[Object]) -> dict[str, list[Object]]:
        """The deployment's pods, by the uid of the ReplicaSet that controls them."""
        selector = selector_of(d)
        index = self.pod_informer.indexer
        out: dict[str, list[Object]] = {}
        for rs in rss:
            uid = rs["metadata"]["uid"]
            out[uid] = [
                p
                for p in index.by_index(CONTROLLER_UID_INDEX, uid)
                if selector is not None and selector.matches(p["metadata"].get("labels") or {})
            ]
        return out

    async def _claim(self, d: Object, selector: LabelSelector) -> list[Object]:
        ns = d["metadata"].get("namespace", "")
        candidates = [
            rs
            for rs in self.rs_informer.lister.list(ns)
            if (ref := controller_ref(rs)) is None or ref.get("uid") == d["metadata"]["uid"]
        ]
        manager = ControllerRefManager.rechecking(
            self.replicasets, d, self.deployments, api_version="apps/v1", kind="Deployment"
        )
        return await manager.claim(
            candidates, lambda rs: selector.matches(rs["metadata"].get("labels") or {})
        )

    def _sync_state(self, d: Object, key: str) -> Sync:
        return Sync(
            d=copy.deepcopy(d),
            deployments=self.deployments,
            replicasets=self.replicasets,
            recorder=self.recorder,
            clock=self.clock,
            requeue_after=lambda after: self.controller.enqueue_after(key, after),
            requeue_rate_limited=lambda: self.controller.queue.add_rate_limited(key),
        )

    async def sync(self, key: str) -> Requeue | None:
        namespace, name = split_key(key)
        cached = self.d_informer.lister.get(name, namespace)
        if cached is None:
            return None
        s = self._sync_state(cached, key)
        selector = selector_of(s.d)
        if selector is None:
            await self._selecting_all(s)
            return None
        rss = await self._claim(s.d, selector)
        if s.d["metadata"].get("deletionTimestamp"):
            new_rs, old = await all_replica_sets_and_sync_revision(s, rss, create=False)
            await sync_deployment_status(s, [*old, new_rs], new_rs)
            return None
        await self._check_paused_conditions(s)
        if (s.d.get("spec") or {}).get("paused"):
            await self._scale_only(s, rss)
            return None
        if await is_scaling_event(s, rss):
            await self._scale_only(s, rss)
            return None
        if util.is_rolling_update(s.d):
            await rollout_rolling(s, rss)
        else:
            await rollout_recreate(s, rss, self._pods_by_rs(s.d, rss))
        return None

    async def _selecting_all(self, s: Sync) -> None:
        self.recorder.event(
            s.d,
            WARNING,
            "SelectingAll",
            "This deployment is selecting all pods. A non-empty selector is required.",
        )
        generation = s.d["metadata"].get("generation", 0)
        if (s.d.get("status") or {}).get("observedGeneration", 0) < generation:
            s.d.setdefault("status", {})["observedGeneration"] = generation
            await s.update_status()

    async def _check_paused_conditions(self, s: Sync) -> None:
        """Pausing and resuming show as Progressing=Unknown (unless the deadline passed)."""
        if not util.has_progress_deadline(s.d):
            return
        status = copy.deepcopy(s.d.get("status") or {})
        cond = get_condition(status, PROGRESSING)
        if cond is not None and cond.get("reason") == TIMED_OUT:
            return
        paused = bool((s.d.get("spec") or {}).get("paused"))
        shown = cond is not None and cond.get("reason") == PAUSED
        if paused and not shown:
            set_condition(
                status, new_condition(PROGRESSING, "Unknown", PAUSED, "Deployment is paused", s.now())
            )
        elif not paused and shown:
            set_condition(
                status, new_condition(PROGRESSING, "Unknown", RESUMED, "Deployment is resumed", s.now())
            )
        else:
            return
        await s.update_status(status)

    async def _scale_only(self, s: Sync, rss: list[Object]) -> None:
        new_rs, old = await all_replica_sets_and_sync_revision(s, rss, create=False)
        await scale(s, new_rs, old)
        if (s.d.get("spec") or {}).get("paused"):
            await cleanup(s, old)
        await sync_deployment_status(s, [*old, new_rs], new_rs)
