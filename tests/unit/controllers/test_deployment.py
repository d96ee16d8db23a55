"""The Deployment controller with the ReplicaSet controller on a fake cluster, in virtual time.

The tests play the kubelet's part: pods become Ready only when a test says so.
"""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api.meta import format_wall
from kubelite.client.resource import PatchType
from kubelite.controllers.deployment import DeploymentController, util
from kubelite.controllers.replicaset import ReplicaSetController
from kubelite.controllers.testing import ControllerHarness

Obj = dict[str, Any]


def deployment(name: str = "web", replicas: int = 3, image: str = "nginx:1", **spec: Any) -> Obj:
    strategy = spec.pop(
        "strategy", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    )
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
            "strategy": strategy,
            "revisionHistoryLimit": spec.pop("revisionHistoryLimit", 10),
            "progressDeadlineSeconds": spec.pop("progressDeadlineSeconds", 600),
            **spec,
        },
    }


class Cluster:
    """Both controllers running, and the kubelet's part played by the test."""

    def __init__(self) -> None:
        self.h = ControllerHarness()
        self.deployments = self.h.client.resource("deployments", group="apps")
        self.pods = self.h.client.resource("pods")

    def running(self):  # type: ignore[no-untyped-def]
        return self.h.running(ReplicaSetController(self.h.ctx), DeploymentController(self.h.ctx))

    def deployment(self, name: str = "web") -> Obj:
        obj = self.h.cluster.get_object("deployments", name, "default", group="apps")
        assert obj is not None
        return obj

    def replicasets(self) -> list[Obj]:
        return sorted(self.h.cluster.objects("replicasets", "default", group="apps"), key=util.creation_key)

    def rs_by_image(self, image: str) -> Obj:
        [rs] = [
            r for r in self.replicasets() if r["spec"]["template"]["spec"]["containers"][0]["image"] == image
        ]
        return rs

    def live_pods(self) -> list[Obj]:
        return [
            p for p in self.h.cluster.objects("pods", "default") if not p["metadata"].get("deletionTimestamp")
        ]

    def pending(self) -> list[Obj]:
        return [p for p in self.live_pods() if (p.get("status") or {}).get("phase") != "Running"]

    def available(self) -> list[Obj]:
        return [p for p in self.live_pods() if (p.get("status") or {}).get("phase") == "Running"]

    async def start(self, count: int | None = None) -> int:
        """Make `count` (default: every) pending pod Running and Ready, oldest first."""
        todo = sorted(self.pending(), key=lambda p: p["metadata"]["creationTimestamp"])[:count]
        stamp = format_wall(self.h.clock.wall())
        for p in todo:
            status = {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": stamp}],
            }
            await self.pods.patch(p["metadata"]["name"], {"status": status}, subresource="status")
        await self.h.settle()
        return len(todo)

    async def set_image(self, image: str, name: str = "web") -> None:
        patch = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}}
        await self.deployments.patch(name, patch, patch_type=PatchType.STRATEGIC)
        await self.h.settle()


def conditions(d: Obj) -> dict[str, tuple[str, str, str]]:
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in d["status"].get("conditions", [])}


async def test_a_new_deployment_creates_its_replicaset_and_reports_progress_and_availability():
    c = Cluster()
    async with c.running():
        d = await c.h.create("deployments", deployment(replicas=3), group="apps")
        await c.h.settle()
        [rs] = c.replicasets()
        hash_ = rs["metadata"]["labels"][util.POD_TEMPLATE_HASH]
        assert rs["metadata"]["name"] == f"web-{hash_}" and len(hash_) <= 10
        assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", util.POD_TEMPLATE_HASH: hash_}
        assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", util.POD_TEMPLATE_HASH: hash_}
        assert rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
        ann = rs["metadata"]["annotations"]
        assert ann[util.REVISION] == "1"
        assert ann[util.DESIRED_REPLICAS] == "3" and ann[util.MAX_REPLICAS] == "4"
        assert rs["spec"]["replicas"] == 3 and len(c.live_pods()) == 3
        [scaled] = c.h.events("ScalingReplicaSet")
        assert scaled["message"] == f"Scaled up replica set {rs['metadata']['name']} from 0 to 3"
        assert scaled["source"]["component"] == "deployment-controller"

        await c.start()
        dep = c.deployment()
        assert dep["metadata"]["annotations"][util.REVISION] == "1"
        status = dep["status"]
        assert (
            status["replicas"],
            status["updatedReplicas"],
            status["readyReplicas"],
            status["availableReplicas"],
        ) == (3, 3, 3, 3)
        assert status["observedGeneration"] == 1 and "unavailableReplicas" not in status
        assert conditions(dep) == {
            "Available": ("True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
            "Progressing": (
                "True",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.',
            ),
        }
        assert [cond["type"] for cond in status["conditions"]] == ["Available", "Progressing"]


async def test_a_rolling_update_never_exceeds_max_surge_nor_drops_below_max_unavailable():
    c = Cluster()
    async with c.running():
        await c.h.create("deployments", deployment(replicas=10), group="apps")
        await c.h.settle()
        await c.start()
        await c.set_image("nginx:2")
        # 25% of 10: surge rounds up to 3, unavailability down to 2.
        steps = 0
        while True:
            live, available = c.live_pods(), c.available()
            assert len(live) <= 13, f"{len(live)} pods exceed replicas + maxSurge"
            assert len(available) >= 8, f"only {len(available)} available"
            if not await c.start(1):
                break
            steps += 1
        new, old = c.rs_by_image("nginx:2"), c.rs_by_image("nginx:1")
        assert (new["spec"]["replicas"], old["spec"]["replicas"]) == (10, 0)
        assert new["metadata"]["annotations"][util.REVISION] == "2"
        dep = c.deployment()
        assert dep["metadata"]["annotations"][util.REVISION] == "2"
        assert conditions(dep)["Progressing"][1] == "NewReplicaSetAvailable"
        assert dep["status"]["updatedReplicas"] == 10 and dep["status"]["replicas"] == 10
        assert steps >= 10
        messages = [e["message"] for e in c.h.events("ScalingReplicaSet")]
        assert any(
            m.startswith(f"Scaled down replica set {old['metadata']['name']} from 10 to") for m in messages
        )


@pytest.mark.parametrize(
    ("surge", "unavailable", "replicas", "expected"),
    [
        ("25%", "25%", 10, (3, 2)),
        ("25%", "25%", 1, (1, 0)),
        ("0%", "1%", 10, (0, 1)),
        (0, 0, 5, (0, 1)),
        (2, "50%", 5, (2, 2)),
        ("100%", 0, 3, (3, 0)),
    ],
)
def test_surge_rounds_up_and_unavailability_down_never_both_zero(surge, unavailable, replicas, expected):
    assert util.resolve_fenceposts(surge, unavailable, replicas) == expected


def test_max_unavailable_never_exceeds_the_replicas():
    d = deployment(
        replicas=2, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 5}}
    )
    assert util.max_unavailable(d) == 2
    assert util.max_unavailable(deployment(replicas=0)) == 0
    assert util.max_surge(deployment(strategy={"type": "Recreate"})) == 0


async def test_recreate_removes_every_old_pod_before_creating_new_ones():
    c = Cluster()
    async with c.running():
        await c.h.create("deployments", deployment(replicas=3, strategy={"type": "Recreate"}), group="apps")
        await c.h.settle()
        await c.start()
        await c.set_image("nginx:2")
        old = c.rs_by_image("nginx:1")
        assert old["spec"]["replicas"] == 0
        images = {p["spec"]["containers"][0]["image"] for p in c.live_pods()}
        assert images <= {"nginx:2"}
        await c.h.settle()
        new = c.rs_by_image("nginx:2")
        assert new["spec"]["replicas"] == 3
        assert {p["spec"]["containers"][0]["image"] for p in c.live_pods()} == {"nginx:2"}


async def test_undo_brings_an_old_replicaset_back_as_the_newest_revision():
    c = Cluster()
    async with c.running():
        await c.h.create("deployments", deployment(replicas=2), group="apps")
        await c.h.settle()
        await c.start()
        await c.set_image("nginx:2")
        while await c.start():
            pass
        first = c.rs_by_image("nginx:1")
        # What `kubectl rollout undo` sends: the old ReplicaSet's template, hash label removed.
        await c.set_image("nginx:1")
        while await c.start():
            pass
        back = c.rs_by_image("nginx:1")
        assert back["metadata"]["uid"] == first["metadata"]["uid"]
        assert back["metadata"]["annotations"][util.REVISION] == "3"
        assert back["metadata"]["annotations"][util.REVISION_HISTORY] == "1"
        assert back["spec"]["replicas"] == 2 and c.rs_by_image("nginx:2")["spec"]["replicas"] == 0
        assert c.deployment()["metadata"]["annotations"][util.REVISION] == "3"


async def test_a_paused_deployment_scales_but_does_not_roll_out_until_resumed():
    c = Cluster()
    async with c.running():
        await c.h.create("deployments", deployment(replicas=2), group="apps")
        await c.h.settle()
        await c.start()
        await c.deployments.patch("web", {"spec": {"paused": True}})
        await c.h.settle()
        assert conditions(c.deployment())["Progressing"] == (
            "Unknown",
            "DeploymentPaused",
            "Deployment is paused",
        )
        await c.set_image("nginx:2")
        assert len(c.replicasets()) == 1
        await c.deployments.patch("web", {"spec": {"replicas": 4}})
        await c.h.settle()
        assert c.rs_by_image("nginx:1")["spec"]["replicas"] == 4
        await c.deployments.patch("web", {"spec": {"paused": False}})
        await c.h.settle()
        assert len(c.replicasets()) == 2
        while await c.start():
            pass
        assert c.rs_by_image("nginx:2")["spec"]["replicas"] == 4
        assert conditions(c.deployment())["Progressing"][1] == "NewReplicaSetAvailable"


async def test_scaling_during_a_rollout_spreads_the_new_replicas_proportionally():
    c = Cluster()
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    async with c.running():
        await c.h.create("deployments", deployment(replicas=10, strategy=strategy), group="apps")
        await c.h.settle()
        await c.start()
        await c.set_image("nginx:broken")  # its pods will never become Ready
        old, new = c.rs_by_image("nginx:1"), c.rs_by_image("nginx:broken")
        assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (8, 5)
        await c.deployments.patch("web", {"spec": {"replicas": 15}})
        await c.h.settle()
        old, new = c.rs_by_image("nginx:1"), c.rs_by_image("nginx:broken")
        # 5 more: 3 to the larger old ReplicaSet, 2 to the new one, as Kubernetes' docs show.
        assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (11, 7)
        assert old["metadata"]["annotations"][util.DESIRED_REPLICAS] == "15"


async def test_a_rollout_that_makes_no_progress_times_out_at_its_deadline():
    c = Cluster()
    async with c.running():
        await c.h.create("deployments", deployment(replicas=2, progressDeadlineSeconds=30), group="apps")
        await c.h.settle()
        await c.start()
        await c.set_image("nginx:broken")
        name = c.rs_by_image("nginx:broken")["metadata"]["name"]
        await c.h.advance(25)
        assert conditions(c.deployment())["Progressing"][0] == "True"
        await c.h.advance(10)
        assert conditions(c.deployment())["Progressing"] == (
            "False",
            "ProgressDeadlineExceeded",
            f'ReplicaSet "{name}" has timed out progressing.',
        )


async def test_history_beyond_the_revision_limit_is_deleted_oldest_first():
    c = Cluster()
    async with c.running():
        await c.h.create("deployments", deployment(replicas=1, revisionHistoryLimit=1), group="apps")
        await c.h.settle()
        for image in ("nginx:1", "nginx:2", "nginx:3", "nginx:4"):
            await c.set_image(image)
            while await c.start():
                pass
        images = sorted(rs["spec"]["template"]["spec"]["containers"][0]["image"] for rs in c.replicasets())
        assert images == ["nginx:3", "nginx:4"]


async def test_a_restart_annotation_rolls_every_pod():
    c = Cluster()
    async with c.running():
        await c.h.create("deployments", deployment(replicas=2), group="apps")
        await c.h.settle()
        await c.start()
        before = {p["metadata"]["uid"] for p in c.live_pods()}
        patch = {
            "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now"}}}}
        }
        await c.deployments.patch("web", patch)
        await c.h.settle()
        while await c.start():
            pass
        after = {p["metadata"]["uid"] for p in c.live_pods()}
        assert len(after) == 2 and not before & after
        assert len(c.replicasets()) == 2


async def test_an_empty_selector_is_refused_with_a_warning_event():
    c = Cluster()
    async with c.running():
        d = deployment()
        d["spec"]["selector"] = {}
        await c.h.create("deployments", d, group="apps")
        await c.h.settle()
        [event] = c.h.events("SelectingAll")
        assert event["type"] == "Warning"
        assert event["message"] == "This deployment is selecting all pods. A non-empty selector is required."
        assert not c.replicasets()
