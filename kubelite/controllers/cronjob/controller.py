"""The CronJob controller: start a Job at each scheduled time, keep status and history.

    CronJob informer ──key──┐
    Job informer ─owner's key┴─▶ workqueue ──▶ sync(namespace/name) ──▶ Requeue(next time)

`sync` first reconciles status.active with the Jobs the CronJob controls (a finished Job
leaves the list, SawCompletedJob; a listed Job that is gone leaves it, MissingJob; a
running Job it did not list is reported, UnexpectedJob - e.g. `kubectl create job
--from=cronjob/x`), takes the newest completionTime of its Complete Jobs as
lastSuccessfulTime, and deletes finished Jobs beyond the history limits. Then, unless the
CronJob is being deleted or suspended, it finds the start due now (`schedule.py`):

    nothing due                       look again at the next scheduled time
    due longer ago than the
      startingDeadlineSeconds         Warning MissSchedule; look again at the next time
    already started (active Job of
      that name, or lastScheduleTime) look again at the next time
    Forbid and a Job still runs       Normal JobAlreadyActive; look again later
    Replace and Jobs still run        delete them (SuccessfulDelete), then start
    otherwise                         create the Job (SuccessfulCreate "Created job x"),
                                      add it to status.active, set lastScheduleTime

and writes the status if any of that changed it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from kubelite.api import errors
from kubelite.api.meta import format_wall, parse_time
from kubelite.api.types import Object
from kubelite.client.events import NORMAL, WARNING
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, Requeue
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.cronjob import jobs as cjobs
from kubelite.controllers.cronjob import schedule
from kubelite.controllers.ownership import controller_ref
from kubelite.controllers.podcontrol import NAMESPACE_TERMINATING_CAUSE, has_status_cause

DEFAULT_WORKERS = 5  # --concurrent-cron-job-syncs
MISSED_MANY_MESSAGE = (
    "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew"
)


class CronJobController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.clock = ctx.clock
        self.log = logging.getLogger("kubelite.controllers.cronjob")
        self.cronjobs = ctx.client.resource("cronjobs", group="batch")
        self.jobs = ctx.client.resource("jobs", group="batch")
        self.cronjob_informer = ctx.informers.informer("cronjobs", group="batch")
        self.job_informer = ctx.informers.informer("jobs", group="batch")
        self.recorder = ctx.recorder("cronjob-controller")
        self.controller = Controller(
            "cronjob",
            self.sync,
            workers=ctx.concurrency("cronjob-controller", DEFAULT_WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics("cronjob"),
        )
        self.cronjob_informer.add_event_handler(
            Handlers(add=self._enqueue, update=self._cronjob_updated, delete=self._enqueue)
        )
        self.job_informer.add_event_handler(
            Handlers(add=self._job_changed, update=self._job_updated, delete=self._job_changed)
        )
        self.controller.track(self.cronjob_informer)
        self.controller.track(self.job_informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock.wall(), dt.UTC)

    # ---- event handlers ----

    def _enqueue(self, cronjob: Object) -> None:
        self.controller.enqueue(object_key(cronjob))

    def _cronjob_updated(self, old: Object, new: Object) -> None:
        o, n = old.get("spec") or {}, new.get("spec") or {}
        if o.get("schedule") == n.get("schedule") and o.get("timeZone") == n.get("timeZone"):
            self._enqueue(new)
            return
        try:
            sched = schedule.parse(new)
        except schedule.ScheduleError:
            self.recorder.event(
                new,
                WARNING,
                "UnParseableCronJobSchedule",
                f"unparseable schedule for cronjob: {n.get('schedule')}",
            )
            return
        self.controller.enqueue_after(object_key(new), schedule.next_delay(new, self.now(), sched))

    def _owner(self, job: Object) -> Object | None:
        ref = controller_ref(job)
        if ref is None or ref.get("kind") != "CronJob":
            return None
        owner = self.cronjob_informer.lister.get(ref.get("name", ""), job["metadata"].get("namespace"))
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return owner

    def _job_changed(self, job: Object) -> None:
        owner = self._owner(job)
        if owner is not None:
            self._enqueue(owner)

    def _job_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        if controller_ref(old) != controller_ref(new):
            self._job_changed(old)
        self._job_changed(new)

    # ---- reconcile ----

    async def sync(self, key: str) -> Requeue | None:
        namespace, name = split_key(key)
        cronjob = self.cronjob_informer.lister.get(name, namespace)
        if cronjob is None:
            return None
        owned = [
            j
            for j in self.job_informer.lister.list(namespace)
            if (ref := controller_ref(j)) is not None
            and ref.get("name") == name
            and ref.get("kind") == "CronJob"
        ]
        cj = {**cronjob, "status": dict(cronjob.get("status") or {})}
        changed = await self._clean_up_history(cj, owned)
        requeue: Requeue | None = None
        error: BaseException | None = None
        try:
            changed_sync, requeue = await self._sync(cj, owned)
            changed |= changed_sync
        except errors.APIError as err:
            error = err
        if changed:
            status = {k: v for k, v in cj["status"].items() if v not in (None, [], "")}
            await self.cronjobs.update({**cronjob, "status": status}, subresource="status")
        if requeue is not None:
            return requeue
        if error is not None:
            raise error
        return None

    async def _reconcile_active(self, cj: Object, owned: list[Object]) -> bool:
        status = cj["status"]
        changed = False
        children = set()
        for job in owned:
            uid = job["metadata"]["uid"]
            children.add(uid)
            found = cjobs.in_active(status, uid)
            finished = cjobs.finished_type(job)
            if not found and not finished:
                fresh = await self.cronjobs.get(
                    cj["metadata"]["name"], namespace=cj["metadata"].get("namespace")
                )
                if cjobs.in_active(fresh.get("status") or {}, uid):
                    continue
                self.recorder.event(
                    cj,
                    WARNING,
                    "UnexpectedJob",
                    f"Saw a job that the controller did not create or forgot: {job['metadata']['name']}",
                )
            elif found and finished:
                cjobs.remove_active(status, uid)
                self.recorder.event(
                    cj,
                    NORMAL,
                    "SawCompletedJob",
                    f"Saw completed job: {job['metadata']['name']}, status: {finished}",
                )
                changed = True
            if finished == "Complete":
                changed |= self._last_successful(status, job)
        for ref in list(status.get("active") or []):
            if ref.get("uid") in children:
                continue
            try:
                await self.jobs.get(ref["name"], namespace=ref.get("namespace"))
            except errors.NotFound:
                self.recorder.event(cj, NORMAL, "MissingJob", f"Active job went missing: {ref['name']}")
                cjobs.remove_active(status, ref.get("uid", ""))
                changed = True
        return changed

    @staticmethod
    def _last_successful(status: Object, job: Object) -> bool:
        done = (job.get("status") or {}).get("completionTime")
        last = status.get("lastSuccessfulTime")
        if done and (not last or parse_time(done) > parse_time(last)):
            status["lastSuccessfulTime"] = done
            return True
        return False

    async def _sync(self, cj: Object, owned: list[Object]) -> tuple[bool, Requeue | None]:
        changed = await self._reconcile_active(cj, owned)
        spec = cj.get("spec") or {}
        if cj["metadata"].get("deletionTimestamp"):
            return changed, None
        if spec.get("timeZone"):
            try:
                schedule.load_zone(spec["timeZone"])
            except schedule.ScheduleError as err:
                self.recorder.event(
                    cj, WARNING, "UnknownTimeZone", f"invalid timeZone: {spec['timeZone']!r}: {err}"
                )
                return changed, None
        if spec.get("suspend"):
            return changed, None
        if schedule.uses_tz_prefix(str(spec.get("schedule") or "")):
            self.recorder.event(
                cj,
                WARNING,
                "UnsupportedSchedule",
                f"CRON_TZ or TZ used in schedule {spec.get('schedule')!r} is not officially supported, see "
                "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details",
            )
        try:
            sched = schedule.parse(cj)
        except schedule.ScheduleError as err:
            self.recorder.event(
                cj, WARNING, "UnparseableSchedule", f"unparseable schedule: {spec.get('schedule')!r} : {err}"
            )
            return changed, None
        started, requeue = await self._start_due(cj, sched)
        return changed or started, requeue

    async def _start_due(self, cj: Object, sched: schedule.Schedule) -> tuple[bool, Requeue | None]:
        now = self.now()
        spec, status = cj.get("spec") or {}, cj["status"]
        later = Requeue(schedule.next_delay(cj, now, sched))
        try:
            due = schedule.most_recent(cj, now, sched, with_deadline=True)
        except schedule.ScheduleError as err:
            self.recorder.event(
                cj, WARNING, "InvalidSchedule", f"invalid schedule: {spec.get('schedule')} : {err}"
            )
            return False, None
        if due.most_recent is None:
            return False, later
        if due.missed > schedule.MANY_MISSED:
            self.recorder.event(cj, WARNING, "TooManyMissedTimes", MISSED_MANY_MESSAGE)
        scheduled = due.most_recent
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and scheduled + dt.timedelta(seconds=int(deadline)) < now:
            self.recorder.event(
                cj,
                WARNING,
                "MissSchedule",
                f"Missed scheduled time to start a job: {cjobs.rfc1123z(scheduled)}",
            )
            return False, later
        last = status.get("lastScheduleTime")
        if cjobs.in_active_by_name(status, cjobs.job_name(cj, scheduled)) or (
            last and parse_time(last) == scheduled
        ):
            return False, later
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and status.get("active"):
            self.recorder.event(
                cj,
                NORMAL,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid",
            )
            return False, later
        changed = False
        if policy == "Replace":
            for ref in list(status.get("active") or []):
                changed |= await self._delete_job(cj, ref["name"], ref.get("uid", ""))
        created = await self._create(cj, scheduled, sched.zone)
        if created is None:
            return changed, None
        status["active"] = [*(status.get("active") or []), cjobs.reference(created)]
        status["lastScheduleTime"] = format_wall(scheduled.timestamp())
        return True, Requeue(schedule.next_delay(cj, now, sched))

    async def _create(self, cj: Object, scheduled: dt.datetime, zone: dt.tzinfo) -> Object | None:
        """The Job for `scheduled`, created now (or found made earlier by this CronJob)."""
        namespace = cj["metadata"].get("namespace", "")
        job = cjobs.job_from_template(cj, scheduled, zone)
        try:
            created = await self.jobs.create(job, namespace=namespace)
        except errors.AlreadyExists:
            existing = await self.jobs.get(job["metadata"]["name"], namespace=namespace)
            ref = controller_ref(existing)
            if ref is None or ref.get("uid") != cj["metadata"]["uid"]:
                return None
            if cjobs.in_active(cj["status"], existing["metadata"]["uid"]):
                return None
            return existing
        except errors.APIError as err:
            if not has_status_cause(err, NAMESPACE_TERMINATING_CAUSE):
                self.recorder.event(cj, WARNING, "FailedCreate", f"Error creating job: {err.message}")
            raise
        self.recorder.event(cj, NORMAL, "SuccessfulCreate", f"Created job {created['metadata']['name']}")
        return created

    async def _delete_job(self, cj: Object, name: str, uid: str) -> bool:
        try:
            await self.jobs.delete(
                name, namespace=cj["metadata"].get("namespace"), propagation_policy="Background"
            )
        except errors.NotFound:
            pass
        except errors.APIError as err:
            self.recorder.event(cj, WARNING, "FailedDelete", f"Deleted job: {err.message}")
            return False
        cjobs.remove_active(cj["status"], uid)
        self.recorder.event(cj, NORMAL, "SuccessfulDelete", f"Deleted job {name}")
        return True

    async def _clean_up_history(self, cj: Object, owned: list[Object]) -> bool:
        spec = cj.get("spec") or {}
        changed = False
        for kind, limit_field in (
            ("Complete", "successfulJobsHistoryLimit"),
            ("Failed", "failedJobsHistoryLimit"),
        ):
            limit = spec.get(limit_field)
            if limit is None:
                continue
            done = cjobs.oldest_first([j for j in owned if cjobs.finished_type(j) == kind])
            for job in done[: max(len(done) - int(limit), 0)]:
                changed |= await self._delete_job(cj, job["metadata"]["name"], job["metadata"]["uid"])
        return changed
