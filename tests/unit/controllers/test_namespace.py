"""The namespace controller empties terminating namespaces and says why one is stuck."""

from __future__ import annotations

from kubelite.api import errors
from kubelite.client.discovery import DiscoveryResult
from kubelite.controllers.namespace import NamespaceController
from kubelite.controllers.testing import ControllerHarness


def conditions(h: ControllerHarness, name: str) -> dict[str, tuple[str, str, str]]:
    ns = h.cluster.get_object("namespaces", name)
    assert ns is not None
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in ns["status"].get("conditions", [])}


async def setup(h: ControllerHarness, name: str = "doomed") -> None:
    await h.client.resource("namespaces").create({"metadata": {"name": name}})
    for cm in ("a", "b"):
        await h.create("configmaps", {"metadata": {"name": cm}}, namespace=name)
    await h.create("pods", {"metadata": {"name": "p"}, "spec": {"containers": []}}, namespace=name)


async def test_a_deleted_namespace_loses_its_content_then_goes():
    h = ControllerHarness()
    async with h.running(NamespaceController(h.ctx)):
        await setup(h)
        await h.create("configmaps", {"metadata": {"name": "safe"}}, namespace="other")
        await h.client.resource("namespaces").delete("doomed")
        ns = h.cluster.get_object("namespaces", "doomed")
        assert ns["status"]["phase"] == "Terminating"
        await h.advance(4)
        assert h.cluster.objects("configmaps", "doomed"), "cleaned up before the 5 s grace"
        await h.advance(2)
        assert h.cluster.get_object("namespaces", "doomed") is None
        assert not h.cluster.objects("configmaps", "doomed") and not h.cluster.objects("pods", "doomed")
        assert [c["metadata"]["name"] for c in h.cluster.objects("configmaps", "other")] == ["safe"]
        collections = {a.plural for a in h.cluster.calls("deletecollection") if a.namespace == "doomed"}
        assert {"configmaps", "pods", "secrets", "deployments"} <= collections


async def test_content_held_by_finalizers_shows_in_the_conditions_and_keeps_the_namespace():
    h = ControllerHarness()
    async with h.running(NamespaceController(h.ctx)):
        await setup(h)
        await h.create(
            "configmaps",
            {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}},
            namespace="doomed",
        )
        await h.client.resource("namespaces").delete("doomed")
        await h.advance(6)
        assert h.cluster.get_object("namespaces", "doomed") is not None
        assert conditions(h, "doomed") == {
            "NamespaceDeletionDiscoveryFailure": (
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered",
            ),
            "NamespaceDeletionGroupVersionParsingFailure": (
                "False",
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed",
            ),
            "NamespaceDeletionContentFailure": (
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization",
            ),
            "NamespaceContentRemaining": (
                "True",
                "SomeResourcesRemain",
                "Some resources are remaining: configmaps. has 1 resource instances",
            ),
            "NamespaceFinalizersRemaining": (
                "True",
                "SomeFinalizersRemain",
                "Some content in the namespace has finalizers remaining: "
                "example.com/hold in 1 resource instances",
            ),
        }
        await h.client.resource("configmaps").patch(
            "held", {"metadata": {"finalizers": None}}, namespace="doomed"
        )
        await h.advance(10)  # looked at again estimate/2 + 1 = 8 s later
        assert h.cluster.get_object("namespaces", "doomed") is None


async def test_failures_to_discover_or_delete_are_reported_as_conditions():
    h = ControllerHarness()
    real = h.cluster.discover

    async def partial() -> DiscoveryResult:
        found = await real()
        found.failed["metrics.k8s.io/v1beta1"] = "the server is currently unable to handle the request"
        return found

    h.ctx.discover = partial
    h.cluster.fail("deletecollection", "secrets", errors.Forbidden("secrets is forbidden: no"))
    async with h.running(NamespaceController(h.ctx)):
        await setup(h)
        await h.client.resource("namespaces").delete("doomed")
        await h.advance(6)
        found = conditions(h, "doomed")
        assert found["NamespaceDeletionDiscoveryFailure"] == (
            "True",
            "DiscoveryFailed",
            "Discovery failed for some groups, 1 failing: unable to retrieve the complete list of "
            "server APIs: metrics.k8s.io/v1beta1: the server is currently unable to handle the request",
        )
        assert found["NamespaceDeletionContentFailure"] == (
            "True",
            "ContentDeletionFailed",
            "Failed to delete all resource types, 1 remaining: secrets is forbidden: no",
        )
        assert h.cluster.get_object("namespaces", "doomed") is not None
