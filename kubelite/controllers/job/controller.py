"""The Job controller: run a Job's pods until enough succeed, or the Job fails.

    Job informer ────key─────┐
    pod informer ─owner's key┴─▶ workqueue ──▶ sync(namespace/name)
      (counts expected creations/deletions and observed finalizer removals)

`sync` reads the Job and the pods it owns (claiming orphans its selector matches, as the
ReplicaSet controller does) and, for a Job that has not finished:

1. sorts the pods out and counts what finished (`state.py`);
2. decides whether the Job fails (a podFailurePolicy FailJob rule, more failures than
   backoffLimit, restarts beyond backoffLimit with restartPolicy OnFailure, or
   activeDeadlineSeconds passed) or succeeded (`conditions.py`); a failing Job has its
   active pods deleted;
3. otherwise brings the active pods to what it wants (`manage.py`: suspend, parallelism,
   completions, Indexed, back-off) and sets the Suspended condition on suspend / resume;
4. records finished pods, removes their tracking finalizer and writes the status and, when
   nothing is left running, the terminal condition (`tracking.py`).

Status: startTime (set when the Job first runs unsuspended, reset on resume), active,
ready, terminating, succeeded, failed, completedIndexes, uncountedTerminatedPods,
conditions, completionTime. A pod that still holds the tracking finalizer but whose Job is
gone or finished has the finalizer removed (keys `orphan-pod/<namespace>/<name>`).
"""

from __future__ import annotations

import asyncio
import logging

from kubelite.api import errors
from kubelite.api.meta import format_wall, parse_time
from kubelite.api.pods import is_deleting
from kubelite.api.selectors import selector_from_label_selector_object
from kubelite.api.types import Object
from kubelite.client.events import NORMAL, WARNING
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, Requeue
from kubelite.client.resource import PatchType
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.expectations import UIDTrackingExpectations
from kubelite.controllers.job import conditions, failurepolicy, state, tracking
from kubelite.controllers.job.backoff import BackoffRecord, next_record
from kubelite.controllers.job.manage import JobPods
from kubelite.controllers.job.pods import (
    TRACKING_FINALIZER,
    count_ready,
    has_finalizer,
    is_failed,
    phase,
    restarts,
    uid,
)
from kubelite.controllers.job.state import JobState
from kubelite.controllers.ownership import (
    CONTROLLER_UID_INDEX,
    ControllerRefManager,
    by_controller_uid,
    claim_candidates,
    controller_ref,
)
from kubelite.controllers.podcontrol import PodControl

DEFAULT_WORKERS = 5  # --concurrent-job-syncs
ORPHAN_PREFIX = "orphan-pod/"


class JobController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.clock = ctx.clock
        self.log = logging.getLogger("kubelite.controllers.job")
        self.jobs = ctx.client.resource("jobs", group="batch")
        self.pods = ctx.client.resource("pods")
        self.job_informer = ctx.informers.informer("jobs", group="batch")
        self.pod_informer = ctx.informers.informer("pods", indexers={CONTROLLER_UID_INDEX: by_controller_uid})
        self.recorder = ctx.recorder("job-controller")
        self.expectations = UIDTrackingExpectations(ctx.clock)
        self.removed: dict[str, set[str]] = {}  # job key -> pod uids whose finalizer we removed
        self.backoff: dict[str, BackoffRecord] = {}
        self.job_pods = JobPods(PodControl(ctx.client, self.recorder), self.expectations, self._strip)
        self.controller = Controller(
            "job",
            self.sync,
            workers=ctx.concurrency("job-controller", DEFAULT_WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics("job"),
        )
        self.job_informer.add_event_handler(
            Handlers(add=self._job_added, update=self._job_updated, delete=self._job_deleted)
        )
        self.pod_informer.add_event_handler(
            Handlers(add=self._pod_added, update=self._pod_updated, delete=self._pod_deleted)
        )
        self.controller.track(self.job_informer)
        self.controller.track(self.pod_informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    # ---- event handlers ----

    def _job_added(self, job: Object) -> None:
        self.controller.enqueue(object_key(job))

    def _job_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("uid") != new["metadata"].get("uid"):
            self._job_deleted(old)
        key = object_key(new)
        self.controller.enqueue(key)
        ads = (new.get("spec") or {}).get("activeDeadlineSeconds")
        start = (new.get("status") or {}).get("startTime")
        if ads != (old.get("spec") or {}).get("activeDeadlineSeconds") and ads is not None and start:
            left = parse_time(start).timestamp() + int(ads) - self.clock.wall()
            self.controller.enqueue_after(key, max(left, 0))

    def _job_deleted(self, job: Object) -> None:
        key = object_key(job)
        self.expectations.delete(key)
        self.removed.pop(key, None)
        self.backoff.pop(key, None)
        self.controller.enqueue(key)
        for pod in self.pod_informer.indexer.by_index(CONTROLLER_UID_INDEX, job["metadata"].get("uid", "")):
            if has_finalizer(pod):
                self.controller.enqueue(ORPHAN_PREFIX + object_key(pod))

    def _owner(self, pod: Object) -> Object | None:
        ref = controller_ref(pod)
        if ref is None or ref.get("kind") != "Job":
            return None
        job = self.job_informer.lister.get(ref.get("name", ""), pod["metadata"].get("namespace"))
        if job is None or job["metadata"].get("uid") != ref.get("uid"):
            return None
        return job

    def _orphan_candidates(self, pod: Object) -> list[Object]:
        labels = pod["metadata"].get("labels") or {}
        out = []
        for job in self.job_informer.lister.list(pod["metadata"].get("namespace")):
            selector = (job.get("spec") or {}).get("selector")
            try:
                if labels and selector and selector_from_label_selector_object(selector).matches(labels):
                    out.append(job)
            except errors.BadRequest:
                continue
        return out

    def _pod_added(self, pod: Object) -> None:
        if is_deleting(pod):
            self._pod_deleted(pod)
            return
        if controller_ref(pod) is None:
            for candidate in self._orphan_candidates(pod):
                self.controller.enqueue(object_key(candidate))
            if has_finalizer(pod):
                self.controller.enqueue(ORPHAN_PREFIX + object_key(pod))
            return
        job = self._owner(pod)
        if job is None:
            if has_finalizer(pod):
                self.controller.enqueue(ORPHAN_PREFIX + object_key(pod))
            return
        key = object_key(job)
        self.expectations.creation_observed(key)
        self.controller.enqueue(key)

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        if is_deleting(new) and not is_deleting(old):
            self._pod_deleted(new)
        old_job, job = self._owner(old), self._owner(new)
        if old_job is not None and (job is None or old_job["metadata"]["uid"] != job["metadata"]["uid"]):
            self.controller.enqueue(object_key(old_job))
        if job is None:
            if has_finalizer(new):
                self.controller.enqueue(ORPHAN_PREFIX + object_key(new))
            if controller_ref(new) is None:
                for candidate in self._orphan_candidates(new):
                    self.controller.enqueue(object_key(candidate))
            return
        key = object_key(job)
        if not has_finalizer(new):
            self.removed.get(key, set()).discard(uid(new))
        self.controller.enqueue(key)

    def _pod_deleted(self, pod: Object) -> None:
        job = self._owner(pod)
        if job is None:
            return
        key = object_key(job)
        self.expectations.deletion_observed(key, object_key(pod))
        if not is_deleting(pod) or not has_finalizer(pod):
            self.removed.get(key, set()).discard(uid(pod))
        self.controller.enqueue(key)

    # ---- finalizers ----

    async def _strip(self, pod: Object) -> None:
        """Remove the tracking finalizer from `pod` (a JSON patch guarded by a test)."""
        finalizers = pod["metadata"].get("finalizers") or []
        if TRACKING_FINALIZER not in finalizers:
            return
        at = finalizers.index(TRACKING_FINALIZER)
        path = f"/metadata/finalizers/{at}"
        patch = [{"op": "test", "path": path, "value": TRACKING_FINALIZER}, {"op": "remove", "path": path}]
        await self.pods.patch(
            pod["metadata"]["name"],
            patch,
            namespace=pod["metadata"].get("namespace"),
            patch_type=PatchType.JSON,
        )

    async def _release(self, st: JobState, pods: list[Object]) -> tuple[set[str], BaseException | None]:
        removed = self.removed.setdefault(st.key, set())
        done: set[str] = set()

        async def one(pod: Object) -> None:
            try:
                await self._strip(pod)
            except errors.NotFound:
                pass
            done.add(uid(pod))
            removed.add(uid(pod))

        results = await asyncio.gather(*(one(p) for p in pods), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        for r in failures:
            if isinstance(r, asyncio.CancelledError):
                raise r
        return done, (failures[0] if failures else None)

    async def _sync_orphan(self, key: str) -> None:
        namespace, name = split_key(key)
        pod = self.pod_informer.lister.get(name, namespace)
        if pod is None or not has_finalizer(pod):
            return
        ref = controller_ref(pod)
        if ref is not None and ref.get("kind") == "Job":
            job = self._owner(pod)
            if job is not None and not conditions.is_finished(job):
                return  # its Job will count it
        try:
            await self._strip(pod)
        except errors.NotFound:
            pass

    # ---- reconcile ----

    async def sync(self, key: str) -> Requeue | None:
        if key.startswith(ORPHAN_PREFIX):
            await self._sync_orphan(key.removeprefix(ORPHAN_PREFIX))
            return None
        namespace, name = split_key(key)
        job = self.job_informer.lister.get(name, namespace)
        if job is None:
            self.expectations.delete(key)
            self.removed.pop(key, None)
            self.backoff.pop(key, None)
            return None
        if conditions.is_finished(job):
            self.backoff.pop(key, None)
            await self._release_all(job)
            return None
        mode = (job.get("spec") or {}).get("completionMode") or "NonIndexed"
        if mode not in ("NonIndexed", "Indexed"):
            self.recorder.event(
                job, WARNING, "UnknownCompletionMode", "Skipped Job sync because completion mode is unknown"
            )
            return None
        satisfied = self.expectations.satisfied(key)
        pods = await self._claim(job, namespace, name)
        st = state.build(job, key, pods, self.clock.wall(), self.removed.get(key, set()))
        st.backoff = next_record(
            self.backoff.get(key, BackoffRecord()), st.new_succeeded, st.new_failed, st.now
        )
        return await self._reconcile(st, satisfied)

    async def _release_all(self, job: Object) -> None:
        pods = [
            p
            for p in self.pod_informer.indexer.by_index(CONTROLLER_UID_INDEX, job["metadata"]["uid"])
            if has_finalizer(p)
        ]
        for pod in pods:
            try:
                await self._strip(pod)
            except errors.NotFound:
                pass

    async def _claim(self, job: Object, namespace: str, name: str) -> list[Object]:
        candidates = claim_candidates(
            self.pod_informer.indexer, job, lambda p: phase(p) not in ("Succeeded", "Failed")
        )
        selector = selector_from_label_selector_object((job.get("spec") or {}).get("selector"))
        manager = ControllerRefManager.rechecking(
            self.pods, job, self.jobs, api_version="batch/v1", kind="Job"
        )
        return await manager.claim(candidates, lambda p: selector.matches(p["metadata"].get("labels") or {}))

    async def _reconcile(self, st: JobState, satisfied: bool) -> Requeue | None:
        original = {**(st.job.get("status") or {})}
        status = st.status
        if not status.get("startTime") and not st.suspended:
            status["startTime"] = format_wall(st.now)
        requeue = self._decide_failure(st)
        active = len(st.active)
        error: BaseException | None = None
        ready_to_finish = True
        if st.finished is not None:
            deleted, error = await self._delete_active(st)
            ready_to_finish = deleted == active and satisfied
            active -= deleted
            st.terminating += deleted
        else:
            active, error, requeue = await self._manage(st, satisfied, requeue)
        status["active"] = active
        status["ready"] = count_ready(st.active)
        status["terminating"] = st.terminating
        changed = _counts(status) != _counts(original) or status.get("conditions") != original.get(
            "conditions"
        )
        changed |= status.get("startTime") != original.get("startTime")
        st.job["status"] = status
        finished = await tracking.track(st, changed, ready_to_finish, self._write, self._release)
        if finished:
            self._record_finished(st)
        if error is not None:
            raise error
        return requeue

    def _decide_failure(self, st: JobState) -> Requeue | None:
        """Set st.finished when the Job fails (or failed before); a Requeue for the deadline."""
        target = conditions.find(st.status, conditions.FAILURE_TARGET)
        met = conditions.find(st.status, conditions.SUCCESS_CRITERIA_MET)
        if target is not None:
            st.finished = {**target, "type": conditions.FAILED}
            return None
        if met is not None:
            st.finished = {**met, "type": conditions.COMPLETE}
            return None
        if (message := self._fail_job_message(st)) is not None:
            st.finished = conditions.new(
                conditions.FAILURE_TARGET, conditions.POD_FAILURE_POLICY, message, st.now
            )
            return None
        backoff_limit = int(st.spec.get("backoffLimit", 6))
        if st.failed > backoff_limit or _past_restart_limit(st, backoff_limit):
            st.finished = conditions.new(
                conditions.FAILURE_TARGET, *conditions.BACKOFF_LIMIT_EXCEEDED, st.now
            )
            return None
        ads = st.spec.get("activeDeadlineSeconds")
        start = st.status.get("startTime")
        if ads is None or st.suspended or not start:
            return None
        left = parse_time(start).timestamp() + int(ads) - st.now
        if left <= 0:
            st.finished = conditions.new(conditions.FAILURE_TARGET, *conditions.DEADLINE_EXCEEDED, st.now)
            return None
        return Requeue(left)

    def _fail_job_message(self, st: JobState) -> str | None:
        policy = st.spec.get("podFailurePolicy")
        if not policy:
            return None
        for pod in st.pods:
            if is_failed(pod, st.job):
                m = failurepolicy.match(policy, pod)
                if m.action == failurepolicy.FAIL_JOB:
                    return m.message
        return None

    async def _delete_active(self, st: JobState) -> tuple[int, BaseException | None]:
        namespace = st.job["metadata"].get("namespace", "")

        async def one(pod: Object) -> None:
            try:
                await self.job_pods.control.delete_pod(namespace, pod["metadata"]["name"], st.job)
            except errors.NotFound:
                pass

        results = await asyncio.gather(*(one(p) for p in st.active), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        return len(st.active) - len(failures), (failures[0] if failures else None)

    async def _manage(
        self, st: JobState, satisfied: bool, requeue: Requeue | None
    ) -> tuple[int, BaseException | None, Requeue | None]:
        active = len(st.active)
        error: BaseException | None = None
        managed = satisfied and not st.job["metadata"].get("deletionTimestamp")
        if managed:
            outcome = await self.job_pods.manage(st)
            active, error = outcome.active, outcome.error
            if outcome.retry_after is not None:
                requeue = _earliest(requeue, Requeue(outcome.retry_after))
        want = st.completions
        complete = st.succeeded > 0 if want is None else st.succeeded >= want
        if complete and active == 0:
            st.finished = conditions.new(
                conditions.SUCCESS_CRITERIA_MET, *conditions.COMPLETIONS_REACHED, st.now
            )
        elif managed:
            self._suspend_condition(st)
        return active, error, requeue

    def _suspend_condition(self, st: JobState) -> None:
        if st.suspended:
            if conditions.ensure(
                st.status, conditions.SUSPENDED, "True", "JobSuspended", "Job suspended", st.now
            ):
                self.recorder.event(st.job, NORMAL, "Suspended", "Job suspended")
        elif conditions.ensure(st.status, conditions.SUSPENDED, "False", "JobResumed", "Job resumed", st.now):
            self.recorder.event(st.job, NORMAL, "Resumed", "Job resumed")
            st.status["startTime"] = format_wall(st.now)

    async def _write(self, st: JobState) -> None:
        status = _wire_status(st.status)
        job = {**st.job, "status": status}
        updated = await self.jobs.update(job, subresource="status")
        st.job = updated
        st.job["status"] = updated.get("status") or {}
        st.job["status"].setdefault("uncountedTerminatedPods", {})
        # The backoff record counts the pods just recorded; keep it once they are written.
        self.backoff[st.key] = st.backoff

    def _record_finished(self, st: JobState) -> None:
        cond = st.finished or {}
        if cond.get("type") == conditions.COMPLETE:
            want = st.completions
            if want is not None and int(st.status.get("succeeded") or 0) > want:
                self.recorder.event(
                    st.job,
                    WARNING,
                    "TooManySucceededPods",
                    "Too many succeeded pods running after completion count reached",
                )
            self.recorder.event(st.job, NORMAL, "Completed", "Job completed")
        else:
            self.recorder.event(st.job, WARNING, cond.get("reason", ""), cond.get("message", ""))


def _counts(status: Object) -> tuple[object, ...]:
    return tuple(status.get(k) for k in ("active", "ready", "terminating", "succeeded", "failed"))


def _earliest(a: Requeue | None, b: Requeue) -> Requeue:
    return b if a is None or b.after < a.after else a


def _past_restart_limit(st: JobState, limit: int) -> bool:
    """restartPolicy OnFailure: the container restarts of running pods exceed backoffLimit."""
    template_spec = (st.spec.get("template") or {}).get("spec") or {}
    if template_spec.get("restartPolicy") != "OnFailure":
        return False
    total = sum(restarts(p) for p in st.pods if phase(p) in ("Running", "Pending"))
    return total > 0 if limit == 0 else total >= limit


def _wire_status(status: Object) -> Object:
    """The status as Kubernetes serialises it: zero counts omitted, ready/terminating kept."""
    out = {k: v for k, v in status.items() if v not in (None, "") or k == "uncountedTerminatedPods"}
    for k in ("active", "succeeded", "failed"):
        if not out.get(k):
            out.pop(k, None)
    if not out.get("conditions"):
        out.pop("conditions", None)
    return out
