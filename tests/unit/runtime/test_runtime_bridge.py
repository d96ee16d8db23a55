"""Which bridges are their pods' gateway, and which gateway address host-local hands out."""

from __future__ import annotations

from ipaddress import IPv4Interface

from kubelite.runtime.bridge import GatewayBridge, gateway_bridges
from kubelite.runtime.cni import default_network


def test_the_default_network_bridge_is_the_gateway_at_its_ranges_first_address():
    assert gateway_bridges(default_network("10.244.3.0/24")["plugins"]) == [
        GatewayBridge("kubelite0", IPv4Interface("10.244.3.1/24"))
    ]


def test_an_explicit_gateway_the_old_single_range_form_and_the_default_bridge_name():
    explicit = [[{"subnet": "10.1.0.0/16", "gateway": "10.1.0.254"}]]
    plugins = [
        {"type": "bridge", "isGateway": True, "ipam": {"type": "host-local", "ranges": explicit}},
        {
            "type": "bridge",
            "bridge": "old",
            "isGateway": True,
            "ipam": {"type": "host-local", "subnet": "10.2.0.0/24"},
        },
    ]
    assert gateway_bridges(plugins) == [
        GatewayBridge("cni0", IPv4Interface("10.1.0.254/16")),
        GatewayBridge("old", IPv4Interface("10.2.0.1/24")),
    ]


def test_bridges_that_are_not_the_gateway_or_not_host_local_or_ipv6_are_left_alone():
    plugins = [
        {"type": "bridge", "ipam": {"type": "host-local", "subnet": "10.3.0.0/24"}},
        {"type": "bridge", "isGateway": True, "ipam": {"type": "dhcp"}},
        {"type": "bridge", "isGateway": True, "ipam": {"type": "host-local", "subnet": "fd00::/64"}},
        {"type": "portmap"},
    ]
    assert gateway_bridges(plugins) == []
