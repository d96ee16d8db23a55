"""The pod garbage collector on a fake cluster in virtual time."""

from __future__ import annotations

from typing import Any

from kubelite.controllers.context import ControllerSettings
from kubelite.controllers.podgc import PodGCController
from kubelite.controllers.testing import ControllerHarness

Obj = dict[str, Any]


def harness(**settings: Any) -> ControllerHarness:
    h = ControllerHarness()
    h.ctx.settings = ControllerSettings(**settings)
    return h


async def pod(h: ControllerHarness, name: str, *, node: str = "", phase: str = "Running", **md: Any) -> None:
    pods = h.client.resource("pods")
    spec = {"containers": [{"name": "c", "image": "x"}], **({"nodeName": node} if node else {})}
    await pods.create({"metadata": {"name": name, **md}, "spec": spec})
    await pods.patch(name, {"status": {"phase": phase}}, subresource="status")
    await h.clock.advance(1)  # distinct creation times


def names(h: ControllerHarness) -> set[str]:
    return {p["metadata"]["name"] for p in h.cluster.objects("pods", "default")}


async def test_the_oldest_terminated_pods_beyond_the_threshold_are_deleted():
    h = harness(terminated_pod_gc_threshold=3)
    await h.client.resource("nodes").create({"metadata": {"name": "n1"}})
    for i in range(5):
        await pod(h, f"done-{i}", node="n1", phase="Succeeded" if i % 2 else "Failed")
    await pod(h, "running", node="n1")
    async with h.running(PodGCController(h.ctx)):
        await h.settle()
        assert names(h) == {"done-2", "done-3", "done-4", "running"}


async def test_pods_of_a_deleted_node_are_failed_and_deleted_after_the_quarantine():
    h = harness()
    await h.client.resource("nodes").create({"metadata": {"name": "here"}})
    await pod(h, "orphan", node="gone")
    await pod(h, "kept", node="here")
    gc = PodGCController(h.ctx)
    async with h.running(gc):
        await h.advance(30)
        assert names(h) == {"orphan", "kept"}
        await h.advance(40)
        assert names(h) == {"kept"}
        patches = [
            a for a in h.cluster.calls("patch", "pods") if a.name == "orphan" and a.subresource == "status"
        ]
        status = patches[-1].body["status"]  # the first one is the test's own
        assert status["phase"] == "Failed"
        assert (status["conditions"][0]["reason"], status["conditions"][0]["message"]) == (
            "DeletionByPodGC",
            "PodGC: node no longer exists",
        )
        registry = gc.metrics.registry
        assert (
            registry.get_sample_value(
                "pod_gc_collector_force_delete_pods_total", {"namespace": "default", "reason": "orphaned"}
            )
            == 1
        )


async def test_terminating_pods_never_scheduled_or_on_an_out_of_service_node_are_force_deleted():
    h = harness()
    taint = {"key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"}
    status = {"conditions": [{"type": "Ready", "status": "False"}]}
    await h.client.resource("nodes").create(
        {"metadata": {"name": "dead"}, "spec": {"taints": [taint]}, "status": status}
    )
    await h.client.resource("nodes").create({"metadata": {"name": "fine"}})
    await pod(h, "unscheduled", finalizers=["example.com/hold"])
    await pod(h, "stuck", node="dead")
    await pod(h, "leaving", node="fine")
    pods = h.client.resource("pods")
    for name in ("unscheduled", "stuck", "leaving"):
        await pods.delete(name)
    async with h.running(PodGCController(h.ctx)):
        await h.settle()
        assert "stuck" not in names(h) and "leaving" in names(h)
        unscheduled = h.cluster.get_object("pods", "unscheduled", "default")
        assert unscheduled is not None and unscheduled["status"]["phase"] == "Failed"
