"""The garbage collector on a fake cluster: each propagation policy, several owners, cycles,
invalid references and custom resources."""

from __future__ import annotations

from typing import Any

from kubelite.client.resource import APIResource
from kubelite.controllers.garbagecollector import GarbageCollector
from kubelite.controllers.testing import ControllerHarness

Obj = dict[str, Any]


def ref(owner: Obj, *, block: bool = True, controller: bool = False) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "blockOwnerDeletion": block,
        "controller": controller,
    }


class GC:
    def __init__(self) -> None:
        self.h = ControllerHarness()
        self.gc = GarbageCollector(self.h.ctx)
        self.cms = self.h.client.resource("configmaps")

    def running(self):  # type: ignore[no-untyped-def]
        return self.h.running(self.gc)

    async def cm(self, name: str, *owners: Obj, namespace: str = "default", **md: Any) -> Obj:
        meta = {"name": name, **md}
        if owners:
            meta["ownerReferences"] = list(owners)
        return await self.cms.create({"metadata": meta, "data": {}}, namespace=namespace)

    def names(self, namespace: str = "default") -> set[str]:
        return {o["metadata"]["name"] for o in self.h.cluster.objects("configmaps", namespace)}

    def get(self, name: str, namespace: str = "default") -> Obj | None:
        return self.h.cluster.get_object("configmaps", name, namespace)


async def test_background_deletion_removes_the_owner_at_once_and_its_dependents_after():
    g = GC()
    async with g.running():
        parent = await g.cm("parent")
        await g.cm("a", ref(parent))
        await g.cm("b", ref(parent))
        await g.cm("bystander")
        await g.h.settle()
        await g.cms.delete("parent", propagation_policy="Background")
        assert g.get("parent") is None
        await g.h.settle()
        assert g.names() == {"bystander"}
        deletes = [a for a in g.h.cluster.calls("delete", "configmaps") if a.name in ("a", "b")]
        assert {a.body["propagationPolicy"] for a in deletes} == {"Background"}


async def test_foreground_deletion_keeps_the_owner_until_its_blocking_dependents_are_gone():
    g = GC()
    async with g.running():
        parent = await g.cm("parent")
        await g.cm("slow", ref(parent), finalizers=["example.com/hold"])
        await g.cm("fast", ref(parent))
        await g.cm("loose", ref(parent, block=False))
        await g.h.settle()
        await g.cms.delete("parent", propagation_policy="Foreground")
        await g.h.settle()
        owner = g.get("parent")
        assert owner is not None and owner["metadata"]["deletionTimestamp"]
        assert owner["metadata"]["finalizers"] == ["foregroundDeletion"]
        assert g.names() == {"parent", "slow"}  # slow is terminating, held by its finalizer
        assert g.get("slow")["metadata"]["deletionTimestamp"]
        await g.cms.patch("slow", {"metadata": {"finalizers": None}})
        await g.h.settle()
        assert g.names() == set()


async def test_orphan_deletion_leaves_the_dependents_without_the_reference():
    g = GC()
    async with g.running():
        parent = await g.cm("parent")
        other = await g.cm("other")
        await g.cm("a", ref(parent), ref(other))
        await g.cm("b", ref(parent))
        await g.h.settle()
        await g.cms.delete("parent", propagation_policy="Orphan")
        await g.h.settle()
        assert g.names() == {"other", "a", "b"}
        assert [r["name"] for r in g.get("a")["metadata"]["ownerReferences"]] == ["other"]
        assert not g.get("b")["metadata"].get("ownerReferences")


async def test_a_dependent_with_a_living_owner_only_loses_the_reference_to_the_dead_one():
    g = GC()
    async with g.running():
        dead, alive = await g.cm("dead"), await g.cm("alive")
        await g.cm("child", ref(dead), ref(alive))
        await g.h.settle()
        await g.cms.delete("dead")
        await g.h.settle()
        child = g.get("child")
        assert child is not None
        assert [r["name"] for r in child["metadata"]["ownerReferences"]] == ["alive"]


async def test_a_dependent_whose_owner_never_existed_is_deleted():
    g = GC()
    async with g.running():
        ghost = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost", "uid": "no-such-uid"}}
        await g.cm("child", ref(ghost))
        await g.h.settle()
        assert "child" not in g.names()


async def test_a_cycle_of_owners_does_not_block_a_foreground_deletion():
    g = GC()
    async with g.running():
        a = await g.cm("a")
        b = await g.cm("b", ref(a))
        await g.cms.patch("a", {"metadata": {"ownerReferences": [ref(b)]}})
        await g.h.settle()
        await g.cms.delete("a", propagation_policy="Foreground")
        await g.h.settle()
        assert g.names() == set()


async def test_an_owner_in_another_namespace_is_reported_and_treated_as_absent():
    g = GC()
    async with g.running():
        owner = await g.cm("owner", namespace="other")
        child = await g.cm("child", ref(owner), namespace="default")
        await g.h.settle()
        assert g.names("default") == set()
        [event] = g.h.events("OwnerRefInvalidNamespace")
        assert event["type"] == "Warning"
        assert (
            event["involvedObject"]["name"] == "child"
            and event["involvedObject"]["uid"] == child["metadata"]["uid"]
        )
        assert event["message"] == (
            f"ownerRef [v1/ConfigMap, namespace: default, name: owner, uid: {owner['metadata']['uid']}] "
            'does not exist in namespace "default"'
        )
        assert g.names("other") == {"owner"}


async def test_a_cluster_scoped_object_naming_a_namespaced_owner_is_reported_and_kept():
    g = GC()
    async with g.running():
        owner = await g.cm("owner")
        nodes = g.h.client.resource("nodes")
        await nodes.create({"metadata": {"name": "n1", "ownerReferences": [ref(owner)]}})
        await g.h.settle()
        assert g.h.cluster.get_object("nodes", "n1") is not None
        [event] = g.h.events("OwnerRefInvalidNamespace")
        assert event["involvedObject"]["kind"] == "Node"


async def test_custom_resources_found_by_discovery_own_and_are_owned():
    g = GC()
    widgets = APIResource("example.com", "v1", "widgets", "Widget", True)
    g.h.cluster.add_resource(widgets, ("create", "delete", "get", "list", "patch", "update", "watch"))
    async with g.running():
        client = g.h.client.for_resource(widgets)
        widget = await client.create({"metadata": {"name": "w"}, "spec": {}}, namespace="default")
        await g.cm("config", ref(widget))
        await client.create(
            {"metadata": {"name": "part", "ownerReferences": [ref(widget)]}}, namespace="default"
        )
        await g.h.settle()
        await client.delete("w", namespace="default", propagation_policy="Foreground")
        await g.h.settle()
        assert g.names() == set()
        assert (await client.list(namespace="default"))["items"] == []


async def test_a_kind_served_after_the_collector_started_is_watched_from_the_next_discovery():
    g = GC()
    gadgets = APIResource("example.com", "v1", "gadgets", "Gadget", True)
    async with g.running():
        g.h.cluster.add_resource(gadgets, ("create", "delete", "get", "list", "patch", "update", "watch"))
        client = g.h.client.for_resource(gadgets)
        gadget = await client.create({"metadata": {"name": "g"}, "spec": {}}, namespace="default")
        await g.cm("config", ref(gadget))
        await g.h.advance(31)  # discovery runs every 30 s
        await client.delete("g", namespace="default")
        await g.h.settle()
        assert g.names() == set()
