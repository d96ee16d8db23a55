"""The CronJob controller on a fake cluster in virtual time (the clock starts at
2023-11-14 22:13:20 UTC)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kubelite.api.meta import format_wall
from kubelite.controllers.cronjob import CronJobController
from kubelite.controllers.cronjob import schedule as cron
from kubelite.controllers.cronjob.jobs import SCHEDULED_TIMESTAMP
from kubelite.controllers.testing import ControllerHarness

Obj = dict[str, Any]
MINUTE = 60


def cronjob(name: str = "tick", schedule: str = "* * * * *", **spec: Any) -> Obj:
    base: Obj = {
        "schedule": schedule,
        "concurrencyPolicy": "Allow",
        "suspend": False,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
        "jobTemplate": {
            "metadata": {"labels": {"app": name}, "annotations": {"team": "a"}},
            "spec": {
                "template": {
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}
                }
            },
        },
    }
    base.update(spec)
    return {"metadata": {"name": name}, "spec": base}


def jobs(h: ControllerHarness) -> list[Obj]:
    return sorted(
        (
            j
            for j in h.cluster.objects("jobs", "default", group="batch")
            if not j["metadata"].get("deletionTimestamp")
        ),
        key=lambda j: j["metadata"]["name"],
    )


def status(h: ControllerHarness, name: str = "tick") -> Obj:
    obj = h.cluster.get_object("cronjobs", name, "default", group="batch")
    assert obj is not None
    return obj.get("status") or {}


async def until_next_minute(h: ControllerHarness) -> None:
    """Advance to just past the next whole minute."""
    await h.advance(MINUTE - h.clock.wall() % MINUTE + 0.5, step=MINUTE)


async def complete(h: ControllerHarness, job: Obj, kind: str = "Complete") -> None:
    stamp = format_wall(h.clock.wall())
    body: Obj = {
        "status": {
            "startTime": job.get("status", {}).get("startTime") or stamp,
            "conditions": [{"type": kind, "status": "True", "lastTransitionTime": stamp}],
        }
    }
    if kind == "Complete":
        body["status"]["completionTime"] = stamp
    await h.client.resource("jobs", group="batch").patch(job["metadata"]["name"], body, subresource="status")


async def test_starts_a_job_at_each_scheduled_minute_named_after_the_scheduled_time():
    h = ControllerHarness()
    async with h.running(CronJobController(h.ctx)):
        cj = await h.create("cronjobs", cronjob(), group="batch")
        await h.settle()
        assert jobs(h) == []
        await until_next_minute(h)
        [job] = jobs(h)
        minute = int(h.clock.wall()) // MINUTE
        assert job["metadata"]["name"] == f"tick-{minute}"
        assert job["metadata"]["labels"] == {"app": "tick"}
        scheduled = dt.datetime.fromtimestamp(minute * MINUTE, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert job["metadata"]["annotations"] == {"team": "a", SCHEDULED_TIMESTAMP: scheduled}
        assert job["metadata"]["ownerReferences"][0]["uid"] == cj["metadata"]["uid"]
        assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox"
        st = status(h)
        assert st["lastScheduleTime"] == scheduled
        assert [(r["kind"], r["name"], r["uid"]) for r in st["active"]] == [
            ("Job", job["metadata"]["name"], job["metadata"]["uid"])
        ]
        assert [e["message"] for e in h.events("SuccessfulCreate")] == [
            f"Created job {job['metadata']['name']}"
        ]
        await until_next_minute(h)
        assert len(jobs(h)) == 2
        assert len(status(h)["active"]) == 2


async def test_forbid_skips_a_start_while_the_previous_job_runs():
    h = ControllerHarness()
    async with h.running(CronJobController(h.ctx)):
        await h.create("cronjobs", cronjob(concurrencyPolicy="Forbid"), group="batch")
        await until_next_minute(h)
        await until_next_minute(h)
        assert len(jobs(h)) == 1
        [event] = h.events("JobAlreadyActive")
        assert (
            event["message"]
            == "Not starting job because prior execution is running and concurrency policy is Forbid"
        )
        [first] = jobs(h)
        await complete(h, first)
        await h.settle()
        # The start skipped at this minute is still due: it runs once the first Job ended.
        second = [j for j in jobs(h) if j["metadata"]["name"] != first["metadata"]["name"]]
        assert [r["name"] for r in status(h)["active"]] == [j["metadata"]["name"] for j in second]


async def test_replace_deletes_the_running_job_and_starts_the_new_one():
    h = ControllerHarness()
    async with h.running(CronJobController(h.ctx)):
        await h.create("cronjobs", cronjob(concurrencyPolicy="Replace"), group="batch")
        await until_next_minute(h)
        [first] = jobs(h)
        await until_next_minute(h)
        [second] = jobs(h)
        assert second["metadata"]["name"] != first["metadata"]["name"]
        assert [e["message"] for e in h.events("SuccessfulDelete")] == [
            f"Deleted job {first['metadata']['name']}"
        ]
        assert [r["name"] for r in status(h)["active"]] == [second["metadata"]["name"]]


async def test_a_finished_job_leaves_the_active_list_and_sets_last_successful_time():
    h = ControllerHarness()
    async with h.running(CronJobController(h.ctx)):
        await h.create("cronjobs", cronjob(), group="batch")
        await until_next_minute(h)
        [job] = jobs(h)
        await complete(h, job)
        await h.settle()
        st = status(h)
        assert "active" not in st
        assert st["lastSuccessfulTime"] == format_wall(h.clock.wall())
        [saw] = h.events("SawCompletedJob")
        assert saw["message"] == f"Saw completed job: {job['metadata']['name']}, status: Complete"


async def test_finished_jobs_beyond_the_history_limits_are_deleted_oldest_first():
    h = ControllerHarness()
    async with h.running(CronJobController(h.ctx)):
        await h.create(
            "cronjobs", cronjob(successfulJobsHistoryLimit=1, failedJobsHistoryLimit=0), group="batch"
        )
        for kind in ("Complete", "Complete", "Failed"):
            await until_next_minute(h)
            newest = jobs(h)[-1]
            await complete(h, newest, kind)
            await h.settle()
        names = [j["metadata"]["name"] for j in jobs(h)]
        assert len(names) == 1
        assert status(h).get("lastSuccessfulTime")


async def test_suspend_starts_nothing_and_many_missed_starts_make_one_job_and_an_event():
    h = ControllerHarness()
    cronjobs = h.client.resource("cronjobs", group="batch")
    async with h.running(CronJobController(h.ctx)):
        await h.create("cronjobs", cronjob(suspend=True), group="batch")
        await h.advance(150 * MINUTE, step=10 * MINUTE)
        assert jobs(h) == []
        await cronjobs.patch("tick", {"spec": {"suspend": False}})
        await h.settle()
        assert len(jobs(h)) == 1
        [event] = h.events("TooManyMissedTimes")
        assert event["type"] == "Warning"
        assert event["message"] == (
            "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew"
        )


async def test_an_invalid_time_zone_is_reported_and_nothing_starts():
    h = ControllerHarness()
    async with h.running(CronJobController(h.ctx)):
        await h.create("cronjobs", cronjob(timeZone="Mars/Olympus"), group="batch")
        await until_next_minute(h)
        assert jobs(h) == []
        assert h.events("UnknownTimeZone")


def test_schedules_follow_the_time_zone_and_macros():
    now = dt.datetime(2023, 11, 14, 12, 0, tzinfo=dt.UTC)
    ny = cron.parse(cronjob(schedule="0 9 * * *", timeZone="America/New_York"))
    assert ny.next(now) == dt.datetime(2023, 11, 14, 14, 0, tzinfo=dt.UTC)
    prefixed = cron.parse(cronjob(schedule="CRON_TZ=Asia/Tokyo 30 9 * * *"))
    assert prefixed.next(now) == dt.datetime(2023, 11, 15, 0, 30, tzinfo=dt.UTC)
    hourly = cron.parse(cronjob(schedule="@hourly"))
    assert hourly.next(now) == dt.datetime(2023, 11, 14, 13, 0, tzinfo=dt.UTC)


def test_the_most_recent_missed_start_is_the_one_to_run():
    cj = cronjob(schedule="*/5 * * * *")
    cj["metadata"]["creationTimestamp"] = "2023-11-14T10:00:00Z"
    sched = cron.parse(cj)
    due = cron.most_recent(
        cj, dt.datetime(2023, 11, 14, 10, 17, 30, tzinfo=dt.UTC), sched, with_deadline=False
    )
    assert due.most_recent == dt.datetime(2023, 11, 14, 10, 15, tzinfo=dt.UTC)
    assert due.missed == 3
    cj["spec"]["startingDeadlineSeconds"] = 60
    late = cron.most_recent(
        cj, dt.datetime(2023, 11, 14, 10, 17, 30, tzinfo=dt.UTC), sched, with_deadline=True
    )
    assert late.most_recent is None
