"""The ReplicaSet controller on a fake cluster in virtual time."""

from __future__ import annotations

from typing import Any
from unittest.mock import ANY

from kubelite.api import errors
from kubelite.api.meta import format_wall
from kubelite.client.resource import PatchType
from kubelite.controllers.podcontrol import slow_start_batch
from kubelite.controllers.replicaset import REPLICATION_CONTROLLER, ReplicaSetController
from kubelite.controllers.testing import ControllerHarness

Obj = dict[str, Any]


def replicaset(name: str = "web", replicas: int = 3, **spec: Any) -> Obj:
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name, "tier": "front"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
            **spec,
        },
    }


def owned(h: ControllerHarness, name: str = "web") -> list[Obj]:
    """The pods `name` controls, leaving out those already terminating."""
    return [
        p
        for p in h.cluster.objects("pods", "default")
        if not p["metadata"].get("deletionTimestamp")
        and any(
            r.get("name") == name and r.get("controller") for r in p["metadata"].get("ownerReferences") or []
        )
    ]


async def make_ready(
    h: ControllerHarness, pod: Obj, *, since: float | None = None, restarts: int = 0
) -> None:
    stamp = format_wall(h.clock.wall() if since is None else since)
    status = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": stamp}],
        "containerStatuses": [{"name": "c", "restartCount": restarts, "ready": True}],
    }
    await h.client.resource("pods").patch(pod["metadata"]["name"], {"status": status}, subresource="status")


async def test_creates_the_missing_pods_from_the_template_owned_by_the_replicaset():
    h = ControllerHarness()
    async with h.running(ReplicaSetController(h.ctx)):
        rs = await h.create("replicasets", replicaset(replicas=3), group="apps")
        await h.settle()
        pods = owned(h)
        assert len(pods) == 3
        pod = pods[0]
        assert pod["metadata"]["name"].startswith("web-")
        assert pod["metadata"]["labels"] == {"app": "web", "tier": "front"}
        assert pod["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "web",
                "uid": rs["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        assert pod["spec"]["containers"][0]["image"] == "nginx"
        status = h.cluster.get_object("replicasets", "web", "default", group="apps")["status"]
        assert status == {"replicas": 3, "fullyLabeledReplicas": 3, "observedGeneration": 1}
        created = h.events("SuccessfulCreate")
        assert sorted(e["message"] for e in created) == sorted(
            f"Created pod: {p['metadata']['name']}" for p in pods
        )
        assert {(e["involvedObject"]["kind"], e["source"]["component"]) for e in created} == {
            ("ReplicaSet", "replicaset-controller")
        }


async def test_creations_run_in_slow_start_batches_and_a_refusal_becomes_the_replica_failure_condition():
    h = ControllerHarness()
    refusal = errors.Forbidden(
        'pods "web-x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3'
    )
    h.cluster.fail("create", "pods", refusal, when=lambda a: len(h.cluster.calls("create", "pods")) > 3)
    async with h.running(ReplicaSetController(h.ctx)):
        await h.create("replicasets", replicaset(replicas=10), group="apps")
        await h.settle()
        # Batches of 1, 2 succeed, the batch of 4 fails whole; the later syncs woken by the
        # new pods each try one more: far fewer than the 10 a refusal would cost unbatched.
        assert 7 <= len(h.cluster.calls("create", "pods")) < 12
        assert len(owned(h)) == 3
        rs = h.cluster.get_object("replicasets", "web", "default", group="apps")
        [cond] = rs["status"]["conditions"]
        assert cond["type"] == "ReplicaFailure" and cond["status"] == "True"
        assert cond["reason"] == "FailedCreate" and cond["message"] == refusal.message
        failed = h.events("FailedCreate")
        assert failed and failed[0]["type"] == "Warning"
        assert failed[0]["message"] == f"Error creating: {refusal.message}"

        h.cluster.clear_failures()
        await h.advance(2)  # the retry back-off passes
        assert len(owned(h)) == 10
        rs = h.cluster.get_object("replicasets", "web", "default", group="apps")
        assert "conditions" not in rs["status"]


async def test_slow_start_doubles_the_batch_and_stops_at_the_first_failing_batch():
    calls = []

    async def fn() -> None:
        calls.append(1)
        if len(calls) > 3:
            raise RuntimeError("refused")

    assert await slow_start_batch(10, 1, fn) == (3, ANY)
    assert len(calls) == 7
    calls.clear()
    assert await slow_start_batch(3, 1, lambda: _ok()) == (3, None)


async def _ok() -> None:
    return None


async def test_a_burst_of_creations_is_not_repeated_while_the_cache_lags_behind():
    h = ControllerHarness()
    rsc = ReplicaSetController(h.ctx)
    async with h.running(rsc):
        h.cluster.hold_watches()
        h.cluster.release_watches()
        await h.create("replicasets", replicaset(replicas=5), group="apps")
        await h.clock.settle()  # the ReplicaSet reaches the cache
        h.cluster.hold_watches()  # ...but none of the pods will, for now
        await h.clock.settle()
        await h.clock.settle()
        assert len(h.cluster.calls("create", "pods")) == 5
        for _ in range(3):
            rsc.controller.enqueue("default/web")
            await h.clock.settle()
        assert len(h.cluster.calls("create", "pods")) == 5, "stale cache doubled the creations"
        h.cluster.release_watches()
        await h.settle()
        assert len(owned(h)) == 5
        assert rsc.expectations.satisfied("default/web")


async def test_orphans_that_match_are_adopted_and_pods_that_stop_matching_are_released():
    h = ControllerHarness()
    async with h.running(ReplicaSetController(h.ctx)):
        orphan = await h.create(
            "pods", {"metadata": {"name": "stray", "labels": {"app": "web"}}, "spec": {"containers": []}}
        )
        rs = await h.create("replicasets", replicaset(replicas=1), group="apps")
        await h.settle()
        [pod] = owned(h)
        assert pod["metadata"]["uid"] == orphan["metadata"]["uid"]
        assert pod["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
        assert len(h.cluster.calls("create", "pods")) == 1  # only the test's own
        status = h.cluster.get_object("replicasets", "web", "default", group="apps")["status"]
        assert status["replicas"] == 1 and "fullyLabeledReplicas" not in status  # lacks tier=front

        await h.client.resource("pods").patch("stray", {"metadata": {"labels": {"app": "other"}}})
        await h.settle()
        stray = h.cluster.get_object("pods", "stray", "default")
        assert not stray["metadata"].get("ownerReferences")
        assert len(owned(h)) == 1 and owned(h)[0]["metadata"]["name"] != "stray"


async def test_a_replicaset_being_deleted_adopts_nothing():
    h = ControllerHarness()
    async with h.running(ReplicaSetController(h.ctx)):
        await h.create(
            "replicasets",
            {**replicaset(replicas=0), "metadata": {"name": "web", "finalizers": ["x/y"]}},
            group="apps",
        )
        await h.settle()
        await h.client.resource("replicasets", group="apps").delete("web")
        await h.create("pods", {"metadata": {"name": "stray", "labels": {"app": "web"}}, "spec": {}})
        await h.settle()
        assert not h.cluster.get_object("pods", "stray", "default")["metadata"].get("ownerReferences")


async def test_scale_down_deletes_unscheduled_then_not_ready_then_most_restarted_pods_first():
    h = ControllerHarness()
    pods = h.client.resource("pods")
    async with h.running(ReplicaSetController(h.ctx)):
        await h.create("replicasets", replicaset(replicas=4), group="apps")
        await h.settle()
        a, b, c, d = sorted(owned(h), key=lambda p: p["metadata"]["name"])
        for p in (b, c, d):
            await pods.patch(p["metadata"]["name"], {"spec": {"nodeName": "n1"}})
        await make_ready(h, c, restarts=0)
        await make_ready(h, d, restarts=3)
        await h.settle()
        # a: unscheduled; b: scheduled, not ready; d: ready, restarted; c: ready, healthy
        rs = h.client.resource("replicasets", group="apps")
        await rs.patch("web", {"spec": {"replicas": 3}})
        await h.settle()
        assert {p["metadata"]["name"] for p in owned(h)} == {x["metadata"]["name"] for x in (b, c, d)}
        await rs.patch("web", {"spec": {"replicas": 2}})
        await h.settle()
        assert {p["metadata"]["name"] for p in owned(h)} == {x["metadata"]["name"] for x in (c, d)}
        await rs.patch("web", {"spec": {"replicas": 1}})
        await h.settle()
        assert [p["metadata"]["name"] for p in owned(h)] == [c["metadata"]["name"]]
        deleted = h.events("SuccessfulDelete")
        assert {e["message"] for e in deleted} == {f"Deleted pod: {x['metadata']['name']}" for x in (a, b, d)}


async def test_a_pod_that_starts_terminating_is_replaced_at_once():
    h = ControllerHarness()
    pods = h.client.resource("pods")
    async with h.running(ReplicaSetController(h.ctx)):
        await h.create("replicasets", replicaset(replicas=1), group="apps")
        await h.settle()
        [pod] = owned(h)
        name = pod["metadata"]["name"]
        await pods.patch(name, {"spec": {"nodeName": "n1"}})
        await make_ready(h, pod)
        await pods.delete(name)  # graceful: it stays, terminating, for 30 s
        await h.settle()
        assert h.cluster.get_object("pods", name, "default")["metadata"]["deletionTimestamp"]
        [replacement] = owned(h)
        assert replacement["metadata"]["name"] != name
        assert h.cluster.get_object("replicasets", "web", "default", group="apps")["status"]["replicas"] == 1


async def test_ready_and_available_counts_follow_min_ready_seconds():
    h = ControllerHarness()
    async with h.running(ReplicaSetController(h.ctx)):
        await h.create("replicasets", replicaset(replicas=2, minReadySeconds=10), group="apps")
        await h.settle()
        for p in owned(h):
            await make_ready(h, p)
        await h.settle()
        status = h.cluster.get_object("replicasets", "web", "default", group="apps")["status"]
        assert status.get("readyReplicas") == 2 and "availableReplicas" not in status
        await h.advance(9)
        status = h.cluster.get_object("replicasets", "web", "default", group="apps")["status"]
        assert "availableReplicas" not in status
        # Rechecked minReadySeconds after; available only strictly after, so at the next look.
        await h.advance(12)
        status = h.cluster.get_object("replicasets", "web", "default", group="apps")["status"]
        assert status.get("availableReplicas") == 2


async def test_observed_generation_follows_spec_changes():
    h = ControllerHarness()
    async with h.running(ReplicaSetController(h.ctx)):
        await h.create("replicasets", replicaset(replicas=1), group="apps")
        await h.settle()
        await h.client.resource("replicasets", group="apps").patch(
            "web", {"spec": {"replicas": 2}}, patch_type=PatchType.MERGE
        )
        await h.settle()
        rs = h.cluster.get_object("replicasets", "web", "default", group="apps")
        assert rs["metadata"]["generation"] == 2 and rs["status"]["observedGeneration"] == 2
        assert rs["status"]["replicas"] == 2


async def test_replication_controllers_are_managed_with_their_map_selector():
    h = ControllerHarness()
    rc = {
        "metadata": {"name": "legacy"},
        "spec": {
            "replicas": 2,
            "selector": {"app": "legacy"},
            "template": {"metadata": {"labels": {"app": "legacy"}}, "spec": {"containers": []}},
        },
    }
    async with h.running(ReplicaSetController(h.ctx, REPLICATION_CONTROLLER)):
        await h.create("replicationcontrollers", rc)
        await h.settle()
        pods = owned(h, "legacy")
        assert len(pods) == 2
        assert pods[0]["metadata"]["ownerReferences"][0]["kind"] == "ReplicationController"
        assert pods[0]["metadata"]["ownerReferences"][0]["apiVersion"] == "v1"
        assert {e["source"]["component"] for e in h.events("SuccessfulCreate")} == {"replication-controller"}
