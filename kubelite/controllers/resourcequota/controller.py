"""The resource quota controller: every ResourceQuota's status says what its namespace uses.

    resourcequota informer (resync --resource-quota-sync-period, 5 min) ──┐
    pod, service, persistentvolumeclaim, secret, configmap,               │
    replicationcontroller, resourcequota informers                        ├─▶ workqueue ─▶ sync(ns/q)
      (an object gone, or a pod finished: the quotas of its namespace) ───┘

`sync` recounts the namespace for the quota: every object of the kinds its `spec.hard`
names (kubelite.api.quota counts them the way the ResourceQuota admission plugin charges
them; a `count/<resource>.<group>` kind gets an informer of its own the first time a quota
names it), restricted to what its scopes select, and writes

    status.hard = spec.hard
    status.used = {every hard resource: its usage, 0 when nothing uses it}

when either changed. Admission charges creations at once; this loop gives back what
deletions and finished pods freed, and corrects what admission charged for writes that
then failed. A quota whose `status.hard` differs from its spec (new, or edited) is synced
before the others, as Kubernetes' missing-usage queue does.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable

from kubelite.api import quota
from kubelite.api.types import Object
from kubelite.client.informer import Handlers, SharedInformer
from kubelite.client.reconcile import Controller, Requeue
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext

log = logging.getLogger("kubelite.controllers.resourcequota")

NAME = "resourcequota-controller"
QUEUE_NAME = "resourcequota_primary"
DEFAULT_WORKERS = 5  # --concurrent-resource-quota-syncs
RESYNC = 300.0  # --resource-quota-sync-period
MONITOR_SYNC_TIMEOUT = 10.0
# Kinds counted from an informer of their own; their changes replenish quotas.
WATCHED = (
    "pods",
    "services",
    "persistentvolumeclaims",
    "secrets",
    "configmaps",
    "replicationcontrollers",
    "resourcequotas",
)
_POD_NAMES = ("pods", "cpu", "memory", "ephemeral-storage")


def kinds_for(hard: dict[str, object]) -> set[tuple[str, str]]:
    """(group, plural) of every kind whose objects count toward some hard resource."""
    out: set[tuple[str, str]] = set()
    for name in hard:
        if name.startswith("count/"):
            plural, _, group = name[len("count/") :].partition(".")
            out.add((group, plural))
        elif name in _POD_NAMES or name.startswith(("requests.", "limits.")) and name != "requests.storage":
            out.add(("", "pods"))
        elif name.startswith("services"):
            out.add(("", "services"))
        elif (
            name in ("persistentvolumeclaims", "requests.storage") or ".storageclass.storage.k8s.io/" in name
        ):
            out.add(("", "persistentvolumeclaims"))
        elif ("", name) in quota.LEGACY_COUNTS:
            out.add(("", name))
        else:
            out.add(("", "pods"))  # extended resources (requests.nvidia.com/gpu, hugepages-*)
    return out


class ResourceQuotaController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.client = ctx.client
        self.factory = ctx.informers
        self.monitors: dict[tuple[str, str], SharedInformer] = {}
        self.quotas = ctx.client.resource("resourcequotas")
        self.informers: dict[str, SharedInformer] = {p: ctx.informers.informer(p) for p in WATCHED}
        self.quota_informer = self.informers["resourcequotas"]
        self.controller = Controller(
            QUEUE_NAME,
            self.sync,
            workers=ctx.concurrency(NAME, DEFAULT_WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics(QUEUE_NAME),
        )
        self.quota_informer.add_event_handler(
            Handlers(add=self._quota, update=lambda old, new: self._quota(new)), resync_period=RESYNC
        )
        for plural, informer in self.informers.items():
            informer.add_event_handler(Handlers(update=self._on_update(plural), delete=self._replenish))
            self.controller.track(informer)

    def _quota(self, q: Object) -> None:
        self.controller.enqueue(object_key(q))

    def _on_update(self, plural: str) -> Callable[[Object, Object], None]:
        return lambda old, new: self._changed(plural, old, new)

    def _changed(self, plural: str, old: Object, new: Object) -> None:
        # What frees quota without a deletion: a pod finishing, a service or claim changing.
        if plural == "pods":
            if (old.get("status") or {}).get("phase") != (new.get("status") or {}).get("phase"):
                self._replenish(new)
        elif plural in ("services", "persistentvolumeclaims") and old.get("spec") != new.get("spec"):
            self._replenish(new)

    def _replenish(self, obj: Object) -> None:
        namespace = obj["metadata"].get("namespace", "")
        for q in self.quota_informer.lister.list(namespace):
            self.controller.enqueue(object_key(q))

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    async def _monitor(self, group: str, plural: str) -> SharedInformer | None:
        """The informer of a kind a quota counts: one of the watched kinds, or one started the
        first time a quota names it (`count/<resource>.<group>`), whose deletions then
        replenish too, as Kubernetes' quota monitors do. None while it cannot sync (a kind
        the server does not serve)."""
        if not group and plural in self.informers:
            return self.informers[plural]
        informer = self.monitors.get((group, plural))
        if informer is None:
            informer = self.factory.informer(plural, group=group)
            informer.add_event_handler(Handlers(delete=self._replenish))
            self.monitors[(group, plural)] = informer
            self.factory.start()
        try:
            await asyncio.wait_for(informer.wait_for_sync(), MONITOR_SYNC_TIMEOUT)
        except TimeoutError:
            return None
        return informer

    async def _objects(self, group: str, plural: str, namespace: str) -> list[Object]:
        informer = await self._monitor(group, plural)
        if informer is not None:
            cached: list[Object] = informer.lister.list(namespace)
            return cached
        items, _ = await self.client.resource(plural, group=group).list_all(namespace=namespace)
        return items

    async def usage(self, q: Object) -> quota.Usage:
        namespace = q["metadata"].get("namespace", "")
        hard = (q.get("spec") or {}).get("hard") or {}
        total: quota.Usage = {}
        for group, plural in sorted(kinds_for(hard)):
            for obj in await self._objects(group, plural, namespace):
                if quota.matches(q, group, plural, obj):
                    total = quota.add(total, quota.usage(group, plural, obj))
        zero = quota.parse({name: "0" for name in hard})
        return {**zero, **quota.restrict(total, q)}

    async def sync(self, key: str) -> Requeue | None:
        namespace, name = split_key(key)
        q = self.quota_informer.lister.get(name, namespace)
        if q is None or q["metadata"].get("deletionTimestamp"):
            return None
        hard = (q.get("spec") or {}).get("hard") or {}
        used = await self.usage(q)
        status = {"hard": quota.to_json(quota.parse(hard)), "used": quota.to_json(used)}
        current = q.get("status") or {}
        if quota.parse(current.get("hard")) == quota.parse(status["hard"]) and quota.parse(
            current.get("used")
        ) == quota.parse(status["used"]):
            return None
        updated = copy.deepcopy(q)
        updated["status"] = status
        await self.quotas.update(updated, namespace=namespace, subresource="status")
        return None
