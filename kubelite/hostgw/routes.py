"""The routes the host-gateway agent owns in its network namespace's main table.

    <cluster CIDR>        unreachable          nothing outside the known nodes' ranges
    <node B's podCIDR>    via <B's InternalIP>  one per other node
    <node C's podCIDR>    via <C's InternalIP>
    (own podCIDR)         dev <CNI bridge>     the runtime's bridge, not ours

Every route the agent adds carries the routing protocol number `PROTOCOL`, so it lists and
removes exactly its own routes (`ip route show root <cluster CIDR> proto 75`) and never
touches another's: the kernel's connected routes, the CNI bridge's, another cluster's (a
different cluster CIDR). The more specific routes win over the unreachable one, so a packet
to a pod range no node holds is refused here instead of following a default route away.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from typing import Protocol

Network = ipaddress.IPv4Network
PROTOCOL = "75"  # an unassigned routing protocol number: "kubelite hostgw"
UNREACHABLE = ""  # the `via` of an unreachable route


class RouteTable(Protocol):
    """A namespace's routes within one range, as dst -> via (UNREACHABLE for none)."""

    def routes(self, within: Network) -> dict[Network, str]:
        """The agent's own routes inside `within` (a route of another owner is not listed)."""
        ...

    def replace(self, dst: Network, via: str) -> None:
        """Route `dst` via `via` (UNREACHABLE: refuse it); idempotent."""
        ...

    def delete(self, dst: Network) -> None:
        """Remove the agent's route to `dst`; a route already gone is not an error."""
        ...


def _ip(*args: str, check: bool = True) -> str:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True).stdout


class KernelRoutes:
    """The current network namespace's main routing table, through iproute2."""

    def routes(self, within: Network) -> dict[Network, str]:
        out = _ip("-j", "-4", "route", "show", "root", str(within), "proto", PROTOCOL)
        found: dict[Network, str] = {}
        for r in json.loads(out or "[]"):
            dst = r.get("dst", "")
            if dst == "default":
                continue
            net = ipaddress.ip_network(dst if "/" in dst else f"{dst}/32")
            if isinstance(net, Network):
                found[net] = UNREACHABLE if r.get("type") == "unreachable" else r.get("gateway", "")
        return found

    def replace(self, dst: Network, via: str) -> None:
        target = ["unreachable", str(dst)] if via == UNREACHABLE else [str(dst), "via", via]
        _ip("route", "replace", *target, "proto", PROTOCOL)

    def delete(self, dst: Network) -> None:
        _ip("route", "del", str(dst), "proto", PROTOCOL, check=False)


class FakeRoutes:
    """A routing table in memory, for tests; `refuse` names gateways the kernel would reject."""

    def __init__(self) -> None:
        self.table: dict[Network, str] = {}
        self.refuse: set[str] = set()

    def routes(self, within: Network) -> dict[Network, str]:
        return {d: v for d, v in self.table.items() if d.subnet_of(within)}

    def replace(self, dst: Network, via: str) -> None:
        if via in self.refuse:
            raise subprocess.CalledProcessError(
                2, ["ip", "route", "replace"], stderr="Nexthop has invalid gateway."
            )
        self.table[dst] = via

    def delete(self, dst: Network) -> None:
        self.table.pop(dst, None)
