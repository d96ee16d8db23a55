"""The CNI bridge's gateway address across pod CIDR changes.

The `bridge` plugin with `isGateway` gives the host's bridge the gateway of the pod range
(the range's first address) on the first ADD. When the kubelet moves the node to a new
pod CIDR the configuration follows (cni.py), but the bridge keeps the old address, and
the plugin refuses every later ADD: `"cni0" already has an IP address different from
<new gateway>` (unless `forceAddress`, which deletes the old address under the pods
still using it). So after a CIDR change the runtime puts the new gateway on the bridge
itself and removes the old addresses, as `reconcile` below:

    bridge before          pods in the old range     bridge after
    10.1.0.1/24            none                      10.2.0.1/24
    10.1.0.1/24            some                      10.2.0.1/24, 10.1.0.1/24 (until the last
                                                      of them stops: `prune`)

The plugin accepts the second form because it stops at the first address equal to the
gateway it wants (containernetworking/plugins, bridge.go `ensureAddr`), so the new
gateway must come first: the old address is removed and added back after it, a moment
without a route for the old pods. IPv4 only; an IPv6 bridge may carry several ranges.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("kubelite.runtime.bridge")
Interface = ipaddress.IPv4Interface


@dataclass(slots=True)
class GatewayBridge:
    name: str
    gateway: Interface


def gateway_bridges(plugins: list[dict[str, Any]]) -> list[GatewayBridge]:
    """Each `bridge` plugin that is its pods' gateway, with the gateway its host-local
    IPAM hands out (an explicit `gateway`, else the range's first address)."""
    out = []
    for p in plugins:
        ipam = p.get("ipam") or {}
        if p.get("type") != "bridge" or not p.get("isGateway") or ipam.get("type") != "host-local":
            continue
        ranges = ipam.get("ranges") or [[{k: ipam[k] for k in ("subnet", "gateway") if k in ipam}]]
        first = (ranges[0] or [{}])[0]
        if "subnet" not in first:
            continue
        net = ipaddress.ip_network(first["subnet"], strict=False)
        if net.version != 4:
            continue
        gw = first.get("gateway") or str(net.network_address + 1)
        out.append(GatewayBridge(p.get("bridge", "cni0"), Interface(f"{gw}/{net.prefixlen}")))
    return out


def _ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


def addresses(bridge: str) -> list[Interface] | None:
    """The bridge's IPv4 addresses in the kernel's order; None if there is no such bridge."""
    try:
        links = json.loads(_ip("-j", "-4", "addr", "show", "dev", bridge) or "[]")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    return [
        Interface(f"{a['local']}/{a['prefixlen']}")
        for link in links
        for a in link.get("addr_info", [])
        if a.get("family") == "inet"
    ]


def reconcile(bridge: GatewayBridge, in_use: Iterable[str]) -> bool:
    """Make the bridge's addresses the gateway, then any old one a pod IP in `in_use`
    still needs; True if old ones are kept. A bridge not yet created is left alone (the
    plugin's first ADD creates it with the gateway)."""
    current = addresses(bridge.name)
    if not current:
        return False
    used = [ipaddress.ip_address(ip) for ip in in_use if ip]
    keep = [a for a in current if a != bridge.gateway and any(ip in a.network for ip in used)]
    want = [bridge.gateway, *keep]
    if current == want:
        return bool(keep)
    for a in current:
        if a != bridge.gateway:
            _ip("addr", "del", str(a), "dev", bridge.name)
    if bridge.gateway not in current:
        _ip("addr", "add", str(bridge.gateway), "dev", bridge.name)
    for a in keep:
        _ip("addr", "add", str(a), "dev", bridge.name)
    log.info(
        "bridge addresses follow the pod CIDR",
        extra={"bridge": bridge.name, "addresses": [str(a) for a in want]},
    )
    return bool(keep)
