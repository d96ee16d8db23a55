"""The Job controller on a fake cluster in virtual time."""

from __future__ import annotations

from typing import Any

from kubelite.api.meta import format_wall
from kubelite.controllers.job import JobController
from kubelite.controllers.job.indexes import format_indexes, parse
from kubelite.controllers.job.pods import COMPLETION_INDEX, TRACKING_FINALIZER
from kubelite.controllers.testing import ControllerHarness

Obj = dict[str, Any]


def job(name: str = "pi", **spec: Any) -> Obj:
    base: Obj = {
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed",
        "selector": {"matchLabels": {"job-name": name}},
        "template": {
            "metadata": {"labels": {"job-name": name}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]},
        },
    }
    base.update(spec)
    return {"metadata": {"name": name}, "spec": base}


def pods_of(h: ControllerHarness, name: str = "pi", *, live: bool = True) -> list[Obj]:
    return sorted(
        (
            p
            for p in h.cluster.objects("pods", "default")
            if any(r.get("name") == name for r in p["metadata"].get("ownerReferences") or [])
            and not (
                live
                and (
                    p["metadata"].get("deletionTimestamp")
                    or p["status"].get("phase") in ("Succeeded", "Failed")
                )
            )
        ),
        key=lambda p: p["metadata"]["name"],
    )


def status(h: ControllerHarness, name: str = "pi") -> Obj:
    obj = h.cluster.get_object("jobs", name, "default", group="batch")
    assert obj is not None
    return obj.get("status") or {}


def condition_types(h: ControllerHarness, name: str = "pi") -> list[str]:
    return [c["type"] for c in status(h, name).get("conditions") or []]


async def finish(h: ControllerHarness, pod: Obj, *, code: int = 0, container: str = "main") -> None:
    phase = "Succeeded" if code == 0 else "Failed"
    terminated = {"exitCode": code, "finishedAt": format_wall(h.clock.wall())}
    body = {
        "status": {
            "phase": phase,
            "containerStatuses": [{"name": container, "state": {"terminated": terminated}}],
        }
    }
    await h.client.resource("pods").patch(pod["metadata"]["name"], body, subresource="status")


async def test_creates_pods_with_the_tracking_finalizer_and_reports_them_active():
    h = ControllerHarness()
    async with h.running(JobController(h.ctx)):
        created = await h.create("jobs", job(completions=5, parallelism=2), group="batch")
        await h.settle()
        pods = pods_of(h)
        assert len(pods) == 2
        pod = pods[0]
        assert pod["metadata"]["generateName"] == "pi-"
        assert pod["metadata"]["finalizers"] == [TRACKING_FINALIZER]
        assert pod["metadata"]["ownerReferences"][0] == {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": "pi",
            "uid": created["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
        st = status(h)
        assert st["active"] == 2 and st["ready"] == 0 and st["terminating"] == 0
        assert st["uncountedTerminatedPods"] == {}
        assert st["startTime"] == format_wall(h.clock.wall())
        assert "succeeded" not in st and "failed" not in st
        assert [e["message"] for e in h.events("SuccessfulCreate")] == [
            f"Created pod: {p['metadata']['name']}" for p in pods
        ]


async def test_counts_each_succeeded_pod_once_and_completes_with_both_conditions():
    h = ControllerHarness()
    async with h.running(JobController(h.ctx)):
        await h.create("jobs", job(completions=3, parallelism=2), group="batch")
        await h.settle()
        for _ in range(3):
            await finish(h, pods_of(h)[0])
            await h.settle()
        st = status(h)
        assert st["succeeded"] == 3
        assert condition_types(h) == ["SuccessCriteriaMet", "Complete"]
        complete = st["conditions"][1]
        assert (complete["reason"], complete["message"]) == (
            "CompletionsReached",
            "Reached expected number of succeeded pods",
        )
        assert st["completionTime"] == format_wall(h.clock.wall())
        assert st["uncountedTerminatedPods"] == {}
        assert "active" not in st
        finished = pods_of(h, live=False)
        assert len(finished) == 3
        assert all(TRACKING_FINALIZER not in (p["metadata"].get("finalizers") or []) for p in finished)
        assert [e["message"] for e in h.events("Completed")] == ["Job completed"]
        await h.advance(60, step=30)
        assert status(h)["succeeded"] == 3


async def test_a_failed_pod_is_replaced_after_an_exponential_back_off():
    h = ControllerHarness()
    async with h.running(JobController(h.ctx)):
        await h.create("jobs", job(), group="batch")
        await h.settle()
        await finish(h, pods_of(h)[0], code=1)
        await h.settle()
        assert status(h)["failed"] == 1
        assert pods_of(h) == []
        await h.advance(9)
        assert pods_of(h) == []
        await h.advance(2)
        assert len(pods_of(h)) == 1
        await finish(h, pods_of(h)[0], code=1)
        await h.settle()
        await h.advance(19)
        assert pods_of(h) == []
        await h.advance(2)
        assert len(pods_of(h)) == 1
        await finish(h, pods_of(h)[0])
        await h.settle()
        st = status(h)
        assert (st["failed"], st["succeeded"]) == (2, 1)
        assert condition_types(h) == ["SuccessCriteriaMet", "Complete"]
        assert len(h.events("SuccessfulCreate")) == 3


async def test_more_failures_than_backoff_limit_fail_the_job():
    h = ControllerHarness()
    async with h.running(JobController(h.ctx)):
        await h.create("jobs", job(backoffLimit=1), group="batch")
        await h.settle()
        await finish(h, pods_of(h)[0], code=1)
        await h.settle()
        await h.advance(11)
        await finish(h, pods_of(h)[0], code=2)
        await h.settle()
        st = status(h)
        assert st["failed"] == 2
        assert condition_types(h) == ["FailureTarget", "Failed"]
        failed = st["conditions"][1]
        assert (failed["reason"], failed["message"]) == (
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
        )
        assert "completionTime" not in st
        warning = h.events("BackoffLimitExceeded")
        assert [(e["type"], e["message"]) for e in warning] == [
            ("Warning", "Job has reached the specified backoff limit")
        ]
        await h.advance(60, step=20)
        assert pods_of(h) == []


async def test_indexed_jobs_give_each_pod_its_index_and_track_completed_indexes():
    h = ControllerHarness()
    async with h.running(JobController(h.ctx)):
        await h.create("jobs", job(completions=3, parallelism=3, completionMode="Indexed"), group="batch")
        await h.settle()
        pods = pods_of(h)
        by_index = {p["metadata"]["annotations"][COMPLETION_INDEX]: p for p in pods}
        assert sorted(by_index) == ["0", "1", "2"]
        one = by_index["1"]
        assert one["metadata"]["generateName"] == "pi-1-"
        assert one["metadata"]["labels"][COMPLETION_INDEX] == "1"
        assert one["spec"]["hostname"] == "pi-1"
        assert one["spec"]["containers"][0]["env"] == [
            {
                "name": "JOB_COMPLETION_INDEX",
                "valueFrom": {"fieldRef": {"fieldPath": f"metadata.annotations['{COMPLETION_INDEX}']"}},
            }
        ]
        await finish(h, by_index["1"])
        await finish(h, by_index["0"], code=1)
        await h.settle()
        st = status(h)
        assert (st["completedIndexes"], st["succeeded"], st["failed"]) == ("1", 1, 1)
        await h.advance(11)
        again = [p for p in pods_of(h) if p["metadata"]["annotations"][COMPLETION_INDEX] == "0"]
        assert len(again) == 1
        await finish(h, again[0])
        await finish(h, by_index["2"])
        await h.settle()
        st = status(h)
        assert (st["completedIndexes"], st["succeeded"]) == ("0-2", 3)
        assert condition_types(h) == ["SuccessCriteriaMet", "Complete"]


async def test_a_fail_job_rule_on_exit_code_42_fails_the_job_and_deletes_the_others():
    h = ControllerHarness()
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}]}
    async with h.running(JobController(h.ctx)):
        await h.create(
            "jobs",
            job(completions=2, parallelism=2, podFailurePolicy=policy, podReplacementPolicy="Failed"),
            group="batch",
        )
        await h.settle()
        first = pods_of(h)[0]
        await finish(h, first, code=42)
        await h.settle()
        st = status(h)
        assert condition_types(h) == ["FailureTarget", "Failed"]
        failed = st["conditions"][1]
        assert failed["reason"] == "PodFailurePolicy"
        assert failed["message"] == (
            f"Container main for pod default/{first['metadata']['name']} failed with exit code 42 "
            "matching FailJob rule at index 0"
        )
        assert pods_of(h) == []
        assert st["failed"] == 2
        assert len(h.events("SuccessfulDelete")) == 1


async def test_an_ignore_rule_replaces_the_pod_without_counting_the_failure():
    h = ControllerHarness()
    policy = {"rules": [{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [3]}}]}
    async with h.running(JobController(h.ctx)):
        await h.create(
            "jobs", job(backoffLimit=0, podFailurePolicy=policy, podReplacementPolicy="Failed"), group="batch"
        )
        await h.settle()
        await finish(h, pods_of(h)[0], code=3)
        await h.settle()
        assert "failed" not in status(h)
        await h.advance(11)
        assert len(pods_of(h)) == 1
        assert condition_types(h) == []


async def test_suspend_deletes_the_pods_and_resume_creates_them_again():
    h = ControllerHarness()
    jobs = h.client.resource("jobs", group="batch")
    async with h.running(JobController(h.ctx)):
        await h.create("jobs", job(suspend=True, parallelism=2, completions=2), group="batch")
        await h.settle()
        assert pods_of(h) == []
        st = status(h)
        assert "startTime" not in st
        suspended = st["conditions"][0]
        assert (suspended["type"], suspended["status"], suspended["reason"]) == (
            "Suspended",
            "True",
            "JobSuspended",
        )
        assert [e["message"] for e in h.events("Suspended")] == ["Job suspended"]
        await jobs.patch("pi", {"spec": {"suspend": False}})
        await h.settle()
        assert len(pods_of(h)) == 2
        cond = status(h)["conditions"][0]
        assert (cond["status"], cond["reason"], cond["message"]) == ("False", "JobResumed", "Job resumed")
        assert [e["message"] for e in h.events("Resumed")] == ["Job resumed"]
        await jobs.patch("pi", {"spec": {"suspend": True}})
        await h.settle()
        assert pods_of(h) == []
        assert len(h.events("SuccessfulDelete")) == 2
        st = status(h)
        assert "failed" not in st and "active" not in st


async def test_active_deadline_seconds_fails_the_job_on_time():
    h = ControllerHarness()
    async with h.running(JobController(h.ctx)):
        await h.create("jobs", job(activeDeadlineSeconds=30), group="batch")
        await h.settle()
        await h.advance(29, step=29)
        assert condition_types(h) == []
        await h.advance(2)
        assert condition_types(h) == ["FailureTarget", "Failed"]
        assert status(h)["conditions"][1]["reason"] == "DeadlineExceeded"
        assert [e["message"] for e in h.events("DeadlineExceeded")] == [
            "Job was active longer than specified deadline"
        ]
        assert pods_of(h) == []


async def test_parallel_job_without_completions_finishes_once_one_succeeded_and_the_rest_stopped():
    h = ControllerHarness()
    async with h.running(JobController(h.ctx)):
        await h.create("jobs", job(completions=None, parallelism=3), group="batch")
        await h.settle()
        pods = pods_of(h)
        assert len(pods) == 3
        await finish(h, pods[0])
        await h.settle()
        assert condition_types(h) == []
        assert len(pods_of(h)) == 2
        for pod in pods[1:]:
            await finish(h, pod)
        await h.settle()
        assert status(h)["succeeded"] == 3
        assert condition_types(h) == ["SuccessCriteriaMet", "Complete"]


async def test_the_finalizer_of_a_pod_whose_job_is_gone_is_removed():
    h = ControllerHarness()
    async with h.running(JobController(h.ctx)):
        await h.create("jobs", job(), group="batch")
        await h.settle()
        pod = pods_of(h)[0]
        await h.client.resource("jobs", group="batch").delete("pi")
        await h.settle()
        left = h.cluster.get_object("pods", pod["metadata"]["name"], "default")
        assert left is not None and not left["metadata"].get("finalizers")


def test_completed_indexes_are_written_as_ranges():
    assert format_indexes({0, 1, 2, 4, 6, 7}) == "0-2,4,6-7"
    assert parse("0-2,4,6-7", 7) == {0, 1, 2, 4, 6}
    assert format_indexes(set()) == ""
