"""The host-gateway route controller on a fake cluster and an in-memory routing table, in
virtual time: a route per other node from its podCIDR and InternalIP, the rest of the cluster
CIDR unreachable, routes that follow node changes and deletions, and nothing left at stop."""

from __future__ import annotations

import ipaddress
from typing import Any

from kubelite.controllers.testing import ControllerHarness
from kubelite.hostgw.controller import RouteController, desired_routes
from kubelite.hostgw.masquerade import NoNatRules
from kubelite.hostgw.routes import UNREACHABLE, FakeRoutes

CLUSTER = "10.244.0.0/16"
net = ipaddress.IPv4Network


def node(name: str, cidr: str = "", ip: str = "", labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr]} if cidr else {},
        "status": {"addresses": [{"type": "InternalIP", "address": ip}] if ip else []},
    }


def controller(h: ControllerHarness, routes: FakeRoutes, own: str = "a") -> RouteController:
    return RouteController(
        h.client,
        routes,
        NoNatRules(),
        node_name=own,
        cluster_cidr=CLUSTER,
        clock=h.clock,
        informer=h.informers.informer("nodes"),
        ip_forward=None,
    )


def test_every_other_node_is_routed_via_its_internal_ip_and_the_rest_is_unreachable():
    nodes = [
        node("a", "10.244.0.0/24", "172.31.0.1"),
        node("b", "10.244.1.0/24", "172.31.0.2"),
        node("c", "10.244.2.0/24", "172.31.0.3"),
        node("no-cidr-yet", ip="172.31.0.4"),
        node("no-address", "10.244.4.0/24"),
        node("elsewhere", "192.168.0.0/24", "172.31.0.5"),  # outside the cluster CIDR
        node("sim", "10.244.6.0/24", "10.0.0.6", {"kubelite.io/simulated": "true"}),
    ]
    assert desired_routes(nodes, "a", net(CLUSTER)) == {
        net(CLUSTER): UNREACHABLE,
        net("10.244.1.0/24"): "172.31.0.2",
        net("10.244.2.0/24"): "172.31.0.3",
    }


async def test_routes_follow_nodes_joining_moving_and_leaving():
    h = ControllerHarness()
    routes = FakeRoutes()
    nodes = h.client.resource("nodes")
    async with h.running(controller(h, routes)):
        await nodes.create(node("a", "10.244.0.0/24", "172.31.0.1"))
        await nodes.create(node("b", "10.244.1.0/24", "172.31.0.2"))
        await h.settle()
        assert routes.table == {net(CLUSTER): UNREACHABLE, net("10.244.1.0/24"): "172.31.0.2"}

        b = h.cluster.get_object("nodes", "b")
        assert b is not None
        b["status"]["addresses"][0]["address"] = "172.31.0.9"
        await nodes.update(b, subresource="status")
        await h.settle()
        assert routes.table[net("10.244.1.0/24")] == "172.31.0.9"

        await nodes.delete("b")
        await h.settle()
        assert routes.table == {net(CLUSTER): UNREACHABLE}
    assert routes.table == {}


async def test_routes_of_other_owners_are_left_alone_and_stale_ones_of_ours_are_removed():
    h = ControllerHarness()
    routes = FakeRoutes()
    routes.table[net("10.244.9.0/24")] = "172.31.0.9"  # ours, from a node gone while we were down
    routes.table[net("10.99.0.0/24")] = "172.31.0.7"  # outside the cluster CIDR: not ours
    async with h.running(controller(h, routes)):
        await h.client.resource("nodes").create(node("b", "10.244.1.0/24", "172.31.0.2"))
        await h.settle()
        assert routes.table == {
            net("10.99.0.0/24"): "172.31.0.7",
            net(CLUSTER): UNREACHABLE,
            net("10.244.1.0/24"): "172.31.0.2",
        }
    assert routes.table == {net("10.99.0.0/24"): "172.31.0.7"}


async def test_a_refused_route_is_skipped_and_the_others_are_set():
    h = ControllerHarness()
    routes = FakeRoutes()
    routes.refuse.add("192.0.2.50")  # not on a connected network
    nodes = h.client.resource("nodes")
    async with h.running(controller(h, routes)):
        await nodes.create(node("far", "10.244.5.0/24", "192.0.2.50"))
        await nodes.create(node("near", "10.244.1.0/24", "172.31.0.2"))
        await h.settle()
        assert routes.table == {net(CLUSTER): UNREACHABLE, net("10.244.1.0/24"): "172.31.0.2"}
