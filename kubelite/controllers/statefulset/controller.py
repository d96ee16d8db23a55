"""The StatefulSet controller: pods `name-0 … name-N-1` with stable identity and storage.

    StatefulSet informer ─key──────────┐
    pod informer ─────────owner's key──┴─▶ workqueue ──▶ sync(namespace/name)
    (PersistentVolumeClaim informer: read to create only missing claims)

`sync` claims the set's pods (its selector, and names of the form `<set>-<ordinal>`),
brings the ControllerRevision history up to date (`../history.py`: the update revision
is the current template's, the current revision the one status.currentRevision names),
makes one pass over the pods (`control.py`), deletes revisions beyond
revisionHistoryLimit that no pod uses, and writes the status (`status.py`).

Events are Kubernetes': SuccessfulCreate "create Pod web-0 in StatefulSet web
successful", SuccessfulDelete "delete Pod web-2 in StatefulSet web successful",
FailedCreate/FailedDelete with the error, SuccessfulCreate "create Claim data-web-0 Pod
web-0 in StatefulSet web success", Warning RecreatingFailedPod.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from kubelite.api import errors
from kubelite.api.pods import is_ready
from kubelite.api.selectors import selector_from_label_selector_object
from kubelite.api.types import Object
from kubelite.client.events import NORMAL, WARNING
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, Requeue, TemporaryError
from kubelite.client.store import object_key, split_key
from kubelite.controllers import history
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.ownership import (
    CONTROLLER_UID_INDEX,
    ControllerRefManager,
    by_controller_uid,
    claim_candidates,
    controller_ref,
)
from kubelite.controllers.statefulset import claims, control, identity, status

DEFAULT_WORKERS = 5  # --concurrent-statefulset-syncs


class StatefulSetController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.clock = ctx.clock
        self.log = logging.getLogger("kubelite.controllers.statefulset")
        self.sets = ctx.client.resource("statefulsets", group="apps")
        self.pods = ctx.client.resource("pods")
        self.claims = ctx.client.resource("persistentvolumeclaims")
        self.revisions = ctx.client.resource("controllerrevisions", group="apps")
        self.set_informer = ctx.informers.informer("statefulsets", group="apps")
        self.pod_informer = ctx.informers.informer("pods", indexers={CONTROLLER_UID_INDEX: by_controller_uid})
        self.claim_informer = ctx.informers.informer("persistentvolumeclaims")
        self.revision_informer = ctx.informers.informer(
            "controllerrevisions", group="apps", indexers={CONTROLLER_UID_INDEX: by_controller_uid}
        )
        self.recorder = ctx.recorder("statefulset-controller")
        self.controller = Controller(
            "statefulset",
            self.sync,
            workers=ctx.concurrency("statefulset-controller", DEFAULT_WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics("statefulset"),
        )
        self.set_informer.add_event_handler(
            Handlers(add=self._enqueue, update=lambda old, new: self._enqueue(new), delete=self._enqueue)
        )
        self.pod_informer.add_event_handler(
            Handlers(add=self._pod_changed, update=self._pod_updated, delete=self._pod_changed)
        )
        for informer in (self.set_informer, self.pod_informer, self.claim_informer, self.revision_informer):
            self.controller.track(informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    # ---- event handlers ----

    def _enqueue(self, sts: Object) -> None:
        self.controller.enqueue(object_key(sts))

    def _owner(self, pod: Object) -> Object | None:
        ref = controller_ref(pod)
        if ref is None or ref.get("kind") != "StatefulSet":
            return None
        sts = self.set_informer.lister.get(ref.get("name", ""), pod["metadata"].get("namespace"))
        if sts is None or sts["metadata"].get("uid") != ref.get("uid"):
            return None
        return sts

    def _orphan_owners(self, pod: Object) -> list[Object]:
        labels = pod["metadata"].get("labels") or {}
        out = []
        for sts in self.set_informer.lister.list(pod["metadata"].get("namespace")):
            try:
                selector = selector_from_label_selector_object((sts.get("spec") or {}).get("selector"))
            except errors.BadRequest:
                continue
            if labels and selector.matches(labels):
                out.append(sts)
        return out

    def _pod_changed(self, pod: Object) -> None:
        sts = self._owner(pod)
        if sts is not None:
            self._enqueue(sts)
        elif controller_ref(pod) is None:
            for candidate in self._orphan_owners(pod):
                self._enqueue(candidate)

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        if controller_ref(old) != controller_ref(new):
            self._pod_changed(old)
        self._pod_changed(new)
        sts = self._owner(new)
        min_ready = int(((sts or {}).get("spec") or {}).get("minReadySeconds") or 0)
        if sts is not None and min_ready > 0 and not is_ready(old) and is_ready(new):
            self.controller.enqueue_after(object_key(sts), min_ready + 1)

    # ---- reconcile ----

    async def sync(self, key: str) -> Requeue | None:
        namespace, name = split_key(key)
        sts = self.set_informer.lister.get(name, namespace)
        if sts is None:
            return None
        try:
            selector = selector_from_label_selector_object((sts.get("spec") or {}).get("selector"))
        except errors.BadRequest as err:
            self.log.error("invalid selector: %s", err.message, extra={"key": key})
            return None
        pods = await self._claim(
            sts, lambda p: identity.is_member(sts, p) and selector.matches(p["metadata"].get("labels") or {})
        )
        owned = self.revision_informer.indexer.by_index(CONTROLLER_UID_INDEX, sts["metadata"]["uid"])
        synced = await history.sync_history(self.revisions, sts, "StatefulSet", owned)
        if synced.current is None:
            new = {**(sts.get("status") or {}), "collisionCount": synced.collision_count}
            await self.sets.update({**sts, "status": new}, subresource="status")
            raise TemporaryError("ControllerRevision name collision; collisionCount raised")
        update_rev = synced.current
        current_name = (sts.get("status") or {}).get("currentRevision")
        current_rev = next((r for r in owned if r["metadata"]["name"] == current_name), update_rev)
        revisions = control.Revisions(
            current_rev["metadata"]["name"],
            update_rev["metadata"]["name"],
            control.apply_revision(sts, current_rev),
            control.apply_revision(sts, update_rev),
        )
        p = control.Pass(sts, pods, revisions, self._actions(), self.clock.wall())
        error: BaseException | None = None
        try:
            await control.run(p)
        except errors.APIError as err:
            error = err
        live = {identity.revision_of(x) for x in pods} | {revisions.current_name, revisions.update_name}
        await history.truncate(
            self.revisions, sts, [r for r in synced.old if r["metadata"]["name"] not in live], set()
        )
        fresh = self.pod_informer.indexer.by_index(CONTROLLER_UID_INDEX, sts["metadata"]["uid"])
        new_status = status.calculate(
            sts,
            [x for x in fresh if identity.is_member(sts, x)],
            revisions.current_name,
            revisions.update_name,
            int(synced.collision_count or 0),
            self.clock.wall(),
        )
        if new_status != (sts.get("status") or {}):
            await self.sets.update({**sts, "status": new_status}, subresource="status")
        if error is not None:
            raise error
        return Requeue(p.requeue) if p.requeue else None

    async def _claim(self, sts: Object, matches: Callable[[Object], bool]) -> list[Object]:
        candidates = claim_candidates(self.pod_informer.indexer, sts)
        manager = ControllerRefManager.rechecking(
            self.pods, sts, self.sets, api_version="apps/v1", kind="StatefulSet"
        )
        return await manager.claim(candidates, matches)

    # ---- actions ----

    def _actions(self) -> control.Actions:
        return control.Actions(
            create=self._create_pod,
            delete=self._delete_pod,
            update=self._update_pod,
            ensure_claims=self._ensure_claims,
            recreating_failed=self._recreating_failed,
        )

    def _pod_event(self, verb: str, sts: Object, pod: Object, err: errors.APIError | None) -> None:
        name, set_name = pod["metadata"]["name"], sts["metadata"]["name"]
        if err is None:
            reason, message = (
                f"Successful{verb.title()}",
                f"{verb} Pod {name} in StatefulSet {set_name} successful",
            )
            self.recorder.event(sts, NORMAL, reason, message)
        else:
            message = f"{verb} Pod {name} in StatefulSet {set_name} failed error: {err.message}"
            self.recorder.event(sts, WARNING, f"Failed{verb.title()}", message)

    async def _create_pod(self, sts: Object, pod: Object) -> None:
        try:
            await self.pods.create(pod, namespace=sts["metadata"].get("namespace"))
        except errors.AlreadyExists:
            return  # the cache has not caught up; the next sync sees it
        except errors.APIError as err:
            self._pod_event("create", sts, pod, err)
            raise
        self._pod_event("create", sts, pod, None)

    async def _delete_pod(self, sts: Object, pod: Object) -> None:
        try:
            await self.pods.delete(pod["metadata"]["name"], namespace=sts["metadata"].get("namespace"))
        except errors.NotFound:
            return
        except errors.APIError as err:
            self._pod_event("delete", sts, pod, err)
            raise
        self._pod_event("delete", sts, pod, None)

    async def _update_pod(self, sts: Object, pod: Object) -> None:
        fixed = {**pod, "metadata": dict(pod["metadata"]), "spec": dict(pod.get("spec") or {})}
        fixed["metadata"]["labels"] = dict(pod["metadata"].get("labels") or {})
        ord_ = identity.ordinal(pod)
        identity.set_identity(sts, fixed, ord_)
        identity.set_storage(sts, fixed, ord_)
        try:
            await self.pods.update(fixed, namespace=sts["metadata"].get("namespace"))
        except errors.APIError as err:
            self._pod_event("update", sts, pod, err)
            raise
        self._pod_event("update", sts, pod, None)

    async def _ensure_claims(self, sts: Object, pod: Object, scaled_down: bool) -> None:
        namespace = sts["metadata"].get("namespace", "")
        for claim in identity.claims_for(sts, identity.ordinal(pod)).values():
            name = claim["metadata"]["name"]
            existing = self.claim_informer.lister.get(name, namespace)
            if existing is None:
                claim["metadata"]["ownerReferences"] = claims.wanted_owners(sts, pod, scaled_down)
                if not claim["metadata"]["ownerReferences"]:
                    del claim["metadata"]["ownerReferences"]
                await self._create_claim(sts, pod, claim)
                continue
            patch = claims.with_owners(existing, sts, pod, scaled_down)
            if patch is not None:
                try:
                    await self.claims.patch(name, patch, namespace=namespace)
                except errors.NotFound:
                    pass

    async def _create_claim(self, sts: Object, pod: Object, claim: Object) -> None:
        names = (claim["metadata"]["name"], pod["metadata"]["name"], sts["metadata"]["name"])
        try:
            await self.claims.create(claim, namespace=sts["metadata"].get("namespace"))
        except errors.AlreadyExists:
            return
        except errors.APIError as err:
            self.recorder.event(
                sts,
                WARNING,
                "FailedCreate",
                f"create Claim {names[0]} for Pod {names[1]} in StatefulSet {names[2]} "
                f"failed error: {err.message}",
            )
            raise
        self.recorder.event(
            sts,
            NORMAL,
            "SuccessfulCreate",
            f"create Claim {names[0]} Pod {names[1]} in StatefulSet {names[2]} success",
        )

    def _recreating_failed(self, sts: Object, pod: Object) -> None:
        md = sts["metadata"]
        self.recorder.event(
            sts,
            WARNING,
            "RecreatingFailedPod",
            f"StatefulSet {md.get('namespace')}/{md['name']} is recreating failed Pod "
            f"{pod['metadata']['name']}",
        )
