"""Node IPAM on a fake cluster: pod CIDRs handed out, released, rebuilt after a restart."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from kubelite.controllers.context import ControllerSettings
from kubelite.controllers.nodeipam import NodeIPAMController
from kubelite.controllers.nodeipam.cidrset import CIDRRangeFull, CIDRSet
from kubelite.controllers.testing import ControllerHarness


def harness(**settings: Any) -> ControllerHarness:
    h = ControllerHarness()
    h.ctx.settings = ControllerSettings(**settings)
    return h


async def add_node(h: ControllerHarness, name: str, **spec: Any) -> None:
    await h.client.resource("nodes").create({"metadata": {"name": name}, "spec": spec})


def cidrs(h: ControllerHarness, name: str) -> tuple[str | None, list[str] | None]:
    node = h.cluster.get_object("nodes", name)
    assert node is not None
    return node["spec"].get("podCIDR"), node["spec"].get("podCIDRs")


async def test_each_node_gets_the_next_slash_24_of_the_cluster_cidr():
    h = harness()
    async with h.running(NodeIPAMController(h.ctx)):
        for name in ("a", "b", "c"):
            await add_node(h, name)
            await h.settle()
        assert [cidrs(h, n) for n in ("a", "b", "c")] == [
            ("10.244.0.0/24", ["10.244.0.0/24"]),
            ("10.244.1.0/24", ["10.244.1.0/24"]),
            ("10.244.2.0/24", ["10.244.2.0/24"]),
        ]


async def test_a_full_range_is_reported_and_a_deleted_nodes_cidr_is_given_to_the_next_node():
    h = harness(cluster_cidr="10.8.0.0/23")  # room for two nodes
    async with h.running(NodeIPAMController(h.ctx)):
        for name in ("a", "b", "c"):
            await add_node(h, name)
        await h.settle()
        assert cidrs(h, "c") == (None, None)
        assert [e["message"] for e in h.events("CIDRNotAvailable")] == [
            "Node c status is now: CIDRNotAvailable"
        ]
        freed = cidrs(h, "a")[0]
        await h.client.resource("nodes").delete("a")
        await h.advance(2)  # the failed node's back-off
        assert cidrs(h, "c")[0] == freed


async def test_a_restarted_controller_keeps_the_cidrs_nodes_have_and_hands_out_others():
    h = harness()
    await add_node(h, "old", podCIDR="10.244.0.0/24", podCIDRs=["10.244.0.0/24"])
    await add_node(h, "older", podCIDR="10.244.1.0/24", podCIDRs=["10.244.1.0/24"])
    async with h.running(NodeIPAMController(h.ctx)):
        await add_node(h, "new")
        await h.settle()
        assert cidrs(h, "new")[0] == "10.244.2.0/24"
        assert cidrs(h, "old")[0] == "10.244.0.0/24"


async def test_no_node_gets_a_cidr_overlapping_the_service_range_or_any_with_allocation_off():
    h = harness(cluster_cidr="10.0.0.0/22", service_cluster_ip_range="10.0.0.0/24")
    async with h.running(NodeIPAMController(h.ctx)):
        await add_node(h, "a")
        await h.settle()
        assert cidrs(h, "a")[0] == "10.0.1.0/24"
    off = harness(allocate_node_cidrs=False)
    async with off.running(NodeIPAMController(off.ctx)):
        await add_node(off, "a")
        await off.settle()
        assert cidrs(off, "a") == (None, None)


def test_dual_stack_sets_cut_each_family_with_its_own_mask():
    v6 = CIDRSet(ipaddress.ip_network("fd00::/48"), 64)
    assert str(v6.allocate()) == "fd00::/64" and str(v6.allocate()) == "fd00:0:0:1::/64"
    tiny = CIDRSet(ipaddress.ip_network("10.0.0.0/24"), 24)
    tiny.allocate()
    with pytest.raises(CIDRRangeFull):
        tiny.allocate()
