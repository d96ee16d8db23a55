"""The StatefulSet controller on a fake cluster in virtual time."""

from __future__ import annotations

from typing import Any

from kubelite.api.meta import format_wall
from kubelite.controllers.statefulset import StatefulSetController
from kubelite.controllers.testing import ControllerHarness

Obj = dict[str, Any]


def statefulset(name: str = "web", replicas: int = 3, **spec: Any) -> Obj:
    base: Obj = {
        "replicas": replicas,
        "serviceName": "nginx",
        "podManagementPolicy": "OrderedReady",
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        "revisionHistoryLimit": 10,
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1"}]},
        },
        "volumeClaimTemplates": [
            {
                "metadata": {"name": "data", "labels": {"tier": "db"}},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            }
        ],
    }
    base.update(spec)
    return {"metadata": {"name": name}, "spec": base}


def pods(h: ControllerHarness) -> dict[str, Obj]:
    return {
        p["metadata"]["name"]: p
        for p in h.cluster.objects("pods", "default")
        if not p["metadata"].get("deletionTimestamp")
    }


def sts_status(h: ControllerHarness, name: str = "web") -> Obj:
    obj = h.cluster.get_object("statefulsets", name, "default", group="apps")
    assert obj is not None
    return obj.get("status") or {}


async def make_ready(h: ControllerHarness, name: str) -> None:
    cond = {"type": "Ready", "status": "True", "lastTransitionTime": format_wall(h.clock.wall())}
    await h.client.resource("pods").patch(
        name, {"status": {"phase": "Running", "conditions": [cond]}}, subresource="status"
    )
    await h.settle()


async def ready_in_order(h: ControllerHarness, count: int) -> None:
    """Make pods ready one by one as the controller creates them."""
    for _ in range(count):
        waiting = [n for n, p in sorted(pods(h).items()) if not (p.get("status") or {}).get("conditions")]
        if not waiting:
            return
        await make_ready(h, waiting[0])


def images(h: ControllerHarness) -> dict[str, str]:
    return {n: p["spec"]["containers"][0]["image"] for n, p in sorted(pods(h).items())}


async def test_ordered_ready_creates_one_pod_at_a_time_with_stable_identity_and_claims():
    h = ControllerHarness()
    async with h.running(StatefulSetController(h.ctx)):
        sts = await h.create("statefulsets", statefulset(), group="apps")
        await h.settle()
        assert list(pods(h)) == ["web-0"]
        pod = pods(h)["web-0"]
        labels = pod["metadata"]["labels"]
        assert labels["statefulset.kubernetes.io/pod-name"] == "web-0"
        assert labels["apps.kubernetes.io/pod-index"] == "0"
        assert labels["controller-revision-hash"] == sts_status(h)["updateRevision"]
        assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == ("web-0", "nginx")
        assert pod["spec"]["volumes"] == [
            {"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}}
        ]
        assert pod["metadata"]["ownerReferences"][0]["uid"] == sts["metadata"]["uid"]
        claim = h.cluster.get_object("persistentvolumeclaims", "data-web-0", "default")
        assert claim is not None and claim["metadata"]["labels"] == {"tier": "db", "app": "web"}
        assert "ownerReferences" not in claim["metadata"]
        await h.advance(30, step=10)
        assert list(pods(h)) == ["web-0"]
        await ready_in_order(h, 3)
        assert sorted(pods(h)) == ["web-0", "web-1", "web-2"]
        st = sts_status(h)
        assert (st["replicas"], st["readyReplicas"], st["availableReplicas"]) == (3, 3, 3)
        assert st["currentRevision"] == st["updateRevision"] and st["collisionCount"] == 0
        created = [e["message"] for e in h.events("SuccessfulCreate")]
        assert "create Claim data-web-0 Pod web-0 in StatefulSet web success" in created
        assert [m for m in created if m.startswith("create Pod")] == [
            f"create Pod web-{i} in StatefulSet web successful" for i in range(3)
        ]


async def test_scale_down_removes_the_highest_ordinal_first_one_at_a_time():
    h = ControllerHarness()
    sets = h.client.resource("statefulsets", group="apps")
    async with h.running(StatefulSetController(h.ctx)):
        await h.create("statefulsets", statefulset(), group="apps")
        await h.settle()
        await ready_in_order(h, 3)
        await make_ready(h, "web-2")
        await sets.patch("web", {"spec": {"replicas": 1}})
        await h.settle()
        assert sorted(pods(h)) == ["web-0"]
        deleted = [e["message"] for e in h.events("SuccessfulDelete")]
        assert deleted == [
            "delete Pod web-2 in StatefulSet web successful",
            "delete Pod web-1 in StatefulSet web successful",
        ]
        # claims stay (whenScaled: Retain)
        assert h.cluster.get_object("persistentvolumeclaims", "data-web-2", "default") is not None


async def test_parallel_management_creates_every_pod_at_once():
    h = ControllerHarness()
    async with h.running(StatefulSetController(h.ctx)):
        await h.create("statefulsets", statefulset(podManagementPolicy="Parallel"), group="apps")
        await h.settle()
        assert sorted(pods(h)) == ["web-0", "web-1", "web-2"]


async def test_a_partitioned_rolling_update_replaces_only_ordinals_at_or_above_the_partition():
    h = ControllerHarness()
    sets = h.client.resource("statefulsets", group="apps")
    async with h.running(StatefulSetController(h.ctx)):
        await h.create("statefulsets", statefulset(), group="apps")
        await h.settle()
        await ready_in_order(h, 3)
        await make_ready(h, "web-2")
        first = sts_status(h)["updateRevision"]
        await sets.patch(
            "web",
            {
                "spec": {
                    "updateStrategy": {"rollingUpdate": {"partition": 2}},
                    "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:2"}]}},
                }
            },
        )
        await h.settle()
        await make_ready(h, "web-2")
        assert images(h) == {"web-0": "nginx:1", "web-1": "nginx:1", "web-2": "nginx:2"}
        st = sts_status(h)
        assert st["currentRevision"] == first and st["updateRevision"] != first
        assert (st["currentReplicas"], st["updatedReplicas"]) == (2, 1)
        await sets.patch("web", {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}})
        await h.settle()
        for name in ("web-1", "web-0"):
            await make_ready(h, name)
        assert set(images(h).values()) == {"nginx:2"}
        st = sts_status(h)
        assert st["currentRevision"] == st["updateRevision"] and st["updatedReplicas"] == 3
        revs = sorted(
            h.cluster.objects("controllerrevisions", "default", group="apps"), key=lambda r: r["revision"]
        )
        assert [r["revision"] for r in revs] == [1, 2]


async def test_on_delete_recreates_deleted_pods_from_the_new_template_only():
    h = ControllerHarness()
    sets = h.client.resource("statefulsets", group="apps")
    async with h.running(StatefulSetController(h.ctx)):
        await h.create(
            "statefulsets", statefulset(replicas=2, updateStrategy={"type": "OnDelete"}), group="apps"
        )
        await h.settle()
        await ready_in_order(h, 2)
        await sets.patch(
            "web", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:2"}]}}}}
        )
        await h.settle()
        assert set(images(h).values()) == {"nginx:1"}
        await h.client.resource("pods").delete("web-1")
        await h.settle()
        assert images(h) == {"web-0": "nginx:1", "web-1": "nginx:2"}


async def test_a_failed_pod_is_recreated_under_its_name():
    h = ControllerHarness()
    async with h.running(StatefulSetController(h.ctx)):
        await h.create("statefulsets", statefulset(replicas=1), group="apps")
        await h.settle()
        old = pods(h)["web-0"]
        await h.client.resource("pods").patch("web-0", {"status": {"phase": "Failed"}}, subresource="status")
        await h.settle()
        new = pods(h)["web-0"]
        assert new["metadata"]["uid"] != old["metadata"]["uid"]
        [event] = h.events("RecreatingFailedPod")
        assert event["message"] == "StatefulSet default/web is recreating failed Pod web-0"


async def test_claims_follow_the_retention_policy():
    h = ControllerHarness()
    sets = h.client.resource("statefulsets", group="apps")
    policy = {"whenDeleted": "Delete", "whenScaled": "Delete"}
    async with h.running(StatefulSetController(h.ctx)):
        sts = await h.create(
            "statefulsets", statefulset(replicas=2, persistentVolumeClaimRetentionPolicy=policy), group="apps"
        )
        await h.settle()
        await ready_in_order(h, 2)
        claim = h.cluster.get_object("persistentvolumeclaims", "data-web-1", "default")
        assert [r["uid"] for r in claim["metadata"]["ownerReferences"]] == [sts["metadata"]["uid"]]
        pod_uid = pods(h)["web-1"]["metadata"]["uid"]
        await sets.patch("web", {"spec": {"replicas": 1}})
        await h.settle()
        claim = h.cluster.get_object("persistentvolumeclaims", "data-web-1", "default")
        assert [(r["kind"], r["uid"]) for r in claim["metadata"]["ownerReferences"]] == [("Pod", pod_uid)]
