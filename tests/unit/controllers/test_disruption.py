"""PodDisruptionBudget status from the disruption controller, on a fake cluster in virtual time."""

from __future__ import annotations

from typing import Any

from kubelite.api.meta import format_wall
from kubelite.controllers.disruption import DisruptionController
from kubelite.controllers.testing import ControllerHarness

Obj = dict[str, Any]


class PDBs:
    def __init__(self) -> None:
        self.h = ControllerHarness()
        self.pods = self.h.client.resource("pods")
        self.budgets = self.h.client.resource("poddisruptionbudgets", group="policy")

    def running(self):  # type: ignore[no-untyped-def]
        return self.h.running(DisruptionController(self.h.ctx))

    async def pod(self, name: str, *, ready: bool = True, owner: Obj | None = None, app: str = "web") -> Obj:
        md: Obj = {"name": name, "labels": {"app": app}}
        if owner is not None:
            md["ownerReferences"] = [
                {
                    "apiVersion": owner["apiVersion"],
                    "kind": owner["kind"],
                    "name": owner["metadata"]["name"],
                    "uid": owner["metadata"]["uid"],
                    "controller": True,
                }
            ]
        await self.pods.create({"metadata": md, "spec": {}})
        status = {
            "phase": "Running",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": format_wall(0),
                }
            ],
        }
        return await self.pods.patch(name, {"status": status}, subresource="status")

    async def budget(self, **spec: Any) -> Obj:
        body = {"metadata": {"name": "budget"}, "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec}}
        return await self.budgets.create(body)

    def status(self) -> Obj:
        obj = self.h.cluster.get_object("poddisruptionbudgets", "budget", "default", group="policy")
        assert obj is not None
        return obj["status"]


def counts(status: Obj) -> tuple[int, int, int, int]:
    return (
        status["expectedPods"],
        status["desiredHealthy"],
        status["currentHealthy"],
        status["disruptionsAllowed"],
    )


async def test_min_available_as_a_number_counts_the_selected_pods():
    p = PDBs()
    async with p.running():
        for i in range(3):
            await p.pod(f"p{i}")
        await p.pod("other", app="db")
        await p.budget(minAvailable=2)
        await p.h.settle()
        status = p.status()
        assert counts(status) == (3, 2, 3, 1)
        assert status["observedGeneration"] == 1
        [cond] = status["conditions"]
        assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
            "DisruptionAllowed",
            "True",
            "SufficientPods",
            "",
        )
        await p.pods.patch(
            "p0",
            {
                "status": {
                    "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": format_wall(1)}]
                }
            },
            subresource="status",
        )
        await p.h.settle()
        status = p.status()
        assert counts(status) == (3, 2, 2, 0)
        assert status["conditions"][0]["reason"] == "InsufficientPods"


async def test_percentages_and_max_unavailable_count_the_owning_controllers_scale():
    p = PDBs()
    apps = p.h.client.resource("replicasets", group="apps")
    async with p.running():
        d = await p.h.client.resource("deployments", group="apps").create(
            {"metadata": {"name": "web"}, "spec": {"replicas": 5}}
        )
        rs = await apps.create(
            {
                "metadata": {
                    "name": "web-1",
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": "web",
                            "uid": d["metadata"]["uid"],
                            "controller": True,
                        }
                    ],
                },
                "spec": {"replicas": 3},
            }
        )
        for i in range(3):
            await p.pod(f"p{i}", owner=rs)
        await p.budget(maxUnavailable="50%")
        await p.h.settle()
        # The Deployment's 5 replicas are expected (not the ReplicaSet's 3); 50% of 5
        # rounds up to 3 unavailable, so 2 must stay healthy.
        assert counts(p.status()) == (5, 2, 3, 1)


async def test_unmanaged_pods_under_a_percentage_are_reported_and_not_expected():
    p = PDBs()
    async with p.running():
        rs = await p.h.client.resource("replicasets", group="apps").create(
            {"metadata": {"name": "rs"}, "spec": {"replicas": 2}}
        )
        await p.pod("managed", owner=rs)
        await p.pod("loose")
        await p.budget(minAvailable="50%")
        await p.h.settle()
        assert counts(p.status()) == (2, 1, 2, 1)
        [event] = p.h.events("UnmanagedPods")
        assert event["type"] == "Warning"
        assert event["message"].startswith(
            "Pods selected by this PodDisruptionBudget (selector: "
            "&LabelSelector{MatchLabels:map[string]string{app: web,},"
            "MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged."
        )


async def test_a_budget_whose_pods_controller_cannot_be_found_fails_safe():
    p = PDBs()
    async with p.running():
        ghost = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "gone", "uid": "nope"}}
        await p.pod("p0", owner=ghost)
        await p.budget(maxUnavailable=1)
        await p.h.settle()
        status = p.status()
        assert status["disruptionsAllowed"] == 0
        [cond] = status["conditions"]
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "False",
            "SyncFailed",
            'found no controllers for pod "p0"',
        )
        [event] = p.h.events("CalculateExpectedPodCountFailed")
        assert (
            event["message"]
            == 'Failed to calculate the number of expected pods: found no controllers for pod "p0"'
        )


async def test_evicted_pods_are_not_counted_healthy_for_two_minutes():
    p = PDBs()
    async with p.running():
        for i in range(3):
            await p.pod(f"p{i}")
        await p.budget(minAvailable=1)
        await p.h.settle()
        status = p.status()
        # What the eviction subresource writes when it lets p0 go.
        status["disruptionsAllowed"] = 1
        status["disruptedPods"] = {"p0": format_wall(p.h.clock.wall())}
        pdb = p.h.cluster.get_object("poddisruptionbudgets", "budget", "default", group="policy")
        await p.budgets.update({**pdb, "status": status}, subresource="status")
        await p.h.settle()
        assert counts(p.status()) == (3, 1, 2, 1)
        assert p.status()["disruptedPods"] == status["disruptedPods"]
        await p.h.advance(125)  # p0 was never deleted
        assert counts(p.status()) == (3, 1, 3, 2)
        assert "disruptedPods" not in p.status()
        [event] = p.h.events("NotDeleted")
        assert event["involvedObject"]["name"] == "p0"
        assert event["message"] == "Pod was expected by PDB default/default to be deleted but it wasn't"


async def test_a_budget_without_pods_allows_nothing_and_says_so():
    p = PDBs()
    async with p.running():
        await p.budget(minAvailable=0)
        await p.h.settle()
        assert counts(p.status()) == (0, 0, 0, 0)
        assert p.h.events("NoPods")[0]["message"] == "No matching pods found"
