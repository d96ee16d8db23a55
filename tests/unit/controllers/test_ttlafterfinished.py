"""The TTL-after-finished controller on a fake cluster in virtual time."""

from __future__ import annotations

from typing import Any

from kubelite.api.meta import format_wall
from kubelite.controllers.testing import ControllerHarness
from kubelite.controllers.ttlafterfinished import TTLAfterFinishedController

Obj = dict[str, Any]


def job(name: str = "done", ttl: int | None = 100) -> Obj:
    spec: Obj = {
        "selector": {"matchLabels": {"job-name": name}},
        "template": {
            "metadata": {"labels": {"job-name": name}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]},
        },
    }
    if ttl is not None:
        spec["ttlSecondsAfterFinished"] = ttl
    return {"metadata": {"name": name}, "spec": spec}


async def finish(h: ControllerHarness, name: str, kind: str = "Complete") -> None:
    stamp = format_wall(h.clock.wall())
    cond = {"type": kind, "status": "True", "lastTransitionTime": stamp}
    await h.client.resource("jobs", group="batch").patch(
        name, {"status": {"conditions": [cond], "startTime": stamp}}, subresource="status"
    )


def present(h: ControllerHarness, name: str = "done") -> bool:
    obj = h.cluster.get_object("jobs", name, "default", group="batch")
    return obj is not None and not obj["metadata"].get("deletionTimestamp")


async def test_a_finished_job_is_deleted_in_the_foreground_once_its_ttl_is_up():
    h = ControllerHarness()
    async with h.running(TTLAfterFinishedController(h.ctx)):
        created = await h.create("jobs", job(), group="batch")
        await h.advance(300, step=100)
        assert present(h)
        await finish(h, "done")
        await h.settle()
        await h.advance(99, step=33)
        assert present(h)
        await h.advance(2)
        assert not present(h)
        [call] = [a for a in h.cluster.calls("delete", "jobs")]
        assert call.body == {"propagationPolicy": "Foreground"}
        gone = h.cluster.get_object("jobs", "done", "default", group="batch")
        assert gone is None or gone["metadata"]["uid"] == created["metadata"]["uid"]


async def test_failed_jobs_expire_too_and_a_longer_ttl_set_meanwhile_is_honoured():
    h = ControllerHarness()
    jobs = h.client.resource("jobs", group="batch")
    async with h.running(TTLAfterFinishedController(h.ctx)):
        await h.create("jobs", job(ttl=10), group="batch")
        await finish(h, "done", "Failed")
        await h.settle()
        await jobs.patch("done", {"spec": {"ttlSecondsAfterFinished": 60}})
        await h.advance(30, step=10)
        assert present(h)
        await h.advance(31)
        assert not present(h)


async def test_jobs_without_a_ttl_or_not_finished_stay():
    h = ControllerHarness()
    async with h.running(TTLAfterFinishedController(h.ctx)):
        await h.create("jobs", job("forever", ttl=None), group="batch")
        await h.create("jobs", job("running", ttl=0), group="batch")
        await finish(h, "forever")
        await h.advance(120, step=60)
        assert present(h, "forever") and present(h, "running")
        await finish(h, "running")
        await h.settle()
        assert not present(h, "running")
