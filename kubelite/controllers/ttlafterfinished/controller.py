"""The TTL-after-finished controller: delete finished Jobs once their time to live is up.

    Job informer ──(needs clean-up)──▶ workqueue ──▶ sync(namespace/name)

A Job that finished with spec.ttlSecondsAfterFinished set is looked at when it appears or
changes; `sync` requeues it for the moment it expires (`expiry.py`). Once expired, the Job
is read afresh from the API server (its TTL may have changed, or it may have been
recreated), checked again, and deleted in the foreground with its uid as precondition, so
its pods go first and a namesake is never deleted by mistake. As in Kubernetes, no event
is recorded.
"""

from __future__ import annotations

import asyncio
import logging

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, Requeue
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.ttlafterfinished.expiry import needs_cleanup, time_left

DEFAULT_WORKERS = 5  # --concurrent-ttl-after-finished-syncs


class TTLAfterFinishedController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.clock = ctx.clock
        self.log = logging.getLogger("kubelite.controllers.ttlafterfinished")
        self.jobs = ctx.client.resource("jobs", group="batch")
        self.job_informer = ctx.informers.informer("jobs", group="batch")
        self.controller = Controller(
            "ttl_jobs_to_delete",
            self.sync,
            workers=ctx.concurrency("ttl-after-finished-controller", DEFAULT_WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics("ttl_jobs_to_delete"),
        )
        self.job_informer.add_event_handler(
            Handlers(add=self._job_changed, update=lambda old, new: self._job_changed(new))
        )
        self.controller.track(self.job_informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    def _job_changed(self, job: Object) -> None:
        if not job["metadata"].get("deletionTimestamp") and needs_cleanup(job):
            self.controller.enqueue(object_key(job))

    def _expired(self, job: Object) -> bool | Requeue:
        """True when `job` is due for deletion, a Requeue when it will be, else False."""
        if job["metadata"].get("deletionTimestamp") or not needs_cleanup(job):
            return False
        left = time_left(job, self.clock.wall())
        return True if left <= 0 else Requeue(left)

    async def sync(self, key: str) -> Requeue | None:
        namespace, name = split_key(key)
        job = self.job_informer.lister.get(name, namespace)
        if job is None:
            return None
        due = self._expired(job)
        if due is not True:
            return due or None
        try:
            fresh = await self.jobs.get(name, namespace=namespace)
        except errors.NotFound:
            return None
        due = self._expired(fresh)
        if due is not True:
            return due or None
        try:
            await self.jobs.delete(
                name,
                namespace=namespace,
                propagation_policy="Foreground",
                preconditions={"uid": fresh["metadata"]["uid"]},
            )
        except errors.NotFound:
            pass
        return None
