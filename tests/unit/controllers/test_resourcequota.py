"""The resource quota controller keeps every quota's status.used true for what it counts."""

from __future__ import annotations

from kubelite.controllers.resourcequota import ResourceQuotaController
from kubelite.controllers.testing import ControllerHarness


def _pod(name: str, cpu: str = "", **spec):
    resources = {"requests": {"cpu": cpu}, "limits": {"cpu": cpu}} if cpu else {}
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "resources": resources}], **spec},
    }


def status(h: ControllerHarness, name: str = "q") -> dict:
    return h.cluster.get_object("resourcequotas", name, "default").get("status") or {}


async def test_a_new_quota_gets_hard_and_used_for_every_resource_it_names():
    h = ControllerHarness()
    await h.create("pods", _pod("a", "500m"))
    await h.create("pods", _pod("b", "1"))
    await h.create("configmaps", {"metadata": {"name": "cm"}})
    await h.create("deployments", {"metadata": {"name": "d"}, "spec": {}}, group="apps")
    async with h.running(ResourceQuotaController(h.ctx)):
        hard = {
            "pods": "10",
            "requests.cpu": "4",
            "limits.memory": "1Gi",
            "configmaps": "5",
            "count/deployments.apps": "2",
        }
        await h.create("resourcequotas", {"metadata": {"name": "q"}, "spec": {"hard": hard}})
        await h.settle()
        assert status(h) == {
            "hard": {
                "configmaps": "5",
                "count/deployments.apps": "2",
                "limits.memory": "1Gi",
                "pods": "10",
                "requests.cpu": "4",
            },
            "used": {
                "configmaps": "1",
                "count/deployments.apps": "1",
                "limits.memory": "0",
                "pods": "2",
                "requests.cpu": "1500m",
            },
        }


async def test_deleted_and_finished_pods_are_given_back():
    h = ControllerHarness()
    async with h.running(ResourceQuotaController(h.ctx)):
        await h.create("resourcequotas", {"metadata": {"name": "q"}, "spec": {"hard": {"pods": "5"}}})
        await h.create("pods", _pod("a"))
        await h.create("pods", _pod("b"))
        await h.settle()
        # Creations are charged by admission; the controller sees them on its next resync.
        await h.advance(301, step=60)
        assert status(h)["used"] == {"pods": "2"}
        await h.client.resource("pods").delete("a")
        await h.settle()
        assert status(h)["used"] == {"pods": "1"}
        b = h.cluster.get_object("pods", "b", "default")
        b["status"] = {"phase": "Succeeded"}
        await h.client.resource("pods").update(b, subresource="status")
        await h.settle()
        assert status(h)["used"] == {"pods": "0"}


async def test_scopes_choose_the_pods_a_quota_counts():
    h = ControllerHarness()
    await h.create("pods", _pod("best-effort"))
    await h.create("pods", _pod("burstable", "100m"))
    await h.create("pods", _pod("job", activeDeadlineSeconds=30))
    async with h.running(ResourceQuotaController(h.ctx)):
        await h.create(
            "resourcequotas",
            {"metadata": {"name": "be"}, "spec": {"hard": {"pods": "9"}, "scopes": ["BestEffort"]}},
        )
        await h.create(
            "resourcequotas",
            {"metadata": {"name": "term"}, "spec": {"hard": {"pods": "9"}, "scopes": ["Terminating"]}},
        )
        await h.settle()
        assert status(h, "be")["used"] == {"pods": "2"}
        assert status(h, "term")["used"] == {"pods": "1"}


async def test_objects_counted_by_count_names_are_watched_and_their_deletion_given_back():
    h = ControllerHarness()
    await h.create("replicasets", {"metadata": {"name": "rs"}, "spec": {}}, group="apps")
    async with h.running(ResourceQuotaController(h.ctx)):
        await h.create(
            "resourcequotas", {"metadata": {"name": "q"}, "spec": {"hard": {"count/replicasets.apps": "3"}}}
        )
        await h.settle()
        assert status(h)["used"] == {"count/replicasets.apps": "1"}
        await h.client.resource("replicasets", group="apps").delete("rs")
        await h.settle()
        assert status(h)["used"] == {"count/replicasets.apps": "0"}
