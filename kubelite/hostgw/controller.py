"""The route controller: one route per other node, from the Node objects.

    nodes informer ──"routes"──▶ workqueue ──▶ sync()
        desired:  <cluster CIDR> unreachable
                  + for every other node with a podCIDR in the cluster CIDR and an IPv4
                    InternalIP: <podCIDR> via <InternalIP>
        observed: the agent's own routes (routes.py)
        act:      delete what is not desired, replace what differs
    stop: every route the agent made is removed, and its masquerade exemption

Every Node change enqueues the one key: the table is small (one route per node) and is
compared whole, so a missed or reordered event cannot leave a stale route. A route the
kernel refuses (a gateway not on a connected network: a node elsewhere, or a simulated
node, which is skipped by its label anyway) is logged and left out, and tried again on the
next Node change. The agent's own node needs no route: its pods are behind its CNI bridge.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import subprocess
from pathlib import Path
from typing import Any

from kubelite.api.types import Object
from kubelite.client.informer import SharedInformer
from kubelite.client.reconcile import Controller
from kubelite.hostgw.masquerade import NatRules
from kubelite.hostgw.routes import UNREACHABLE, Network, RouteTable
from kubelite.kubelet.simulated.kubelet import SIMULATED_LABEL
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.hostgw")

KEY = "routes"
IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")


def internal_ip(node: Object) -> str:
    for a in (node.get("status") or {}).get("addresses") or []:
        if a.get("type") == "InternalIP" and ipaddress.ip_address(a.get("address", "::")).version == 4:
            return str(a["address"])
    return ""


def pod_cidrs(node: Object) -> list[str]:
    spec = node.get("spec") or {}
    return list(spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else []))


def desired_routes(nodes: list[Object], own: str, cluster: Network) -> dict[Network, str]:
    """The table the agent on node `own` should have: dst -> via (UNREACHABLE for the rest)."""
    want: dict[Network, str] = {cluster: UNREACHABLE}
    for node in nodes:
        md = node["metadata"]
        if md["name"] == own or (md.get("labels") or {}).get(SIMULATED_LABEL) == "true":
            continue
        via = internal_ip(node)
        for text in pod_cidrs(node):
            cidr = ipaddress.ip_network(text, strict=False)
            if via and isinstance(cidr, Network) and cidr.subnet_of(cluster) and cidr != cluster:
                want[cidr] = via
    return want


class RouteController:
    """The agent's reconcile loop. `informer`: a nodes informer someone else runs (tests
    share a factory's); without one the controller makes and runs its own. `ip_forward`:
    the sysctl file turned on at start (None: left alone)."""

    def __init__(
        self,
        client: Any,
        routes: RouteTable,
        nat: NatRules,
        *,
        node_name: str,
        cluster_cidr: str,
        clock: Clock | None = None,
        informer: SharedInformer | None = None,
        ip_forward: Path | None = IP_FORWARD,
    ) -> None:
        cluster = ipaddress.ip_network(cluster_cidr)
        if not isinstance(cluster, Network):
            raise ValueError(f"--cluster-cidr {cluster_cidr}: only IPv4 pod networks are routed")
        self.cluster = cluster
        self.node_name = node_name
        self.routes = routes
        self.nat = nat
        self.ip_forward = ip_forward
        self._own_informer = informer is None
        self.informer = informer or SharedInformer(client.resource("nodes"), clock=clock)
        self.controller = Controller("hostgw_routes", self.sync, clock=clock)
        self.controller.watch(self.informer, lambda _node: (KEY,))

    async def sync(self, key: str) -> None:
        # The route table calls are a few milliseconds of `ip` each; nothing else waits on
        # this loop, so they run inline.
        want = desired_routes(self.informer.lister.list(), self.node_name, self.cluster)
        have = self.routes.routes(self.cluster)
        for dst in have.keys() - want.keys():
            self.routes.delete(dst)
            log.info("route removed", extra={"dst": str(dst), "via": have[dst]})
        for dst, via in want.items():
            if have.get(dst) == via:
                continue
            try:
                self.routes.replace(dst, via)
            except subprocess.CalledProcessError as err:
                reason = (err.stderr or "").strip()
                log.error("route refused: %s", reason, extra={"dst": str(dst), "via": via})
                continue
            log.info("route set", extra={"dst": str(dst), "via": via or "unreachable"})

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Route until cancelled; then remove every route and rule the agent made."""
        if self.ip_forward is not None:
            enable_forwarding(self.ip_forward)
        self.nat.ensure()
        try:
            async with asyncio.TaskGroup() as tg:
                if self._own_informer:
                    tg.create_task(self.informer.run())
                tg.create_task(self.controller.run(ready))
        finally:
            self.cleanup()

    def cleanup(self) -> None:
        for dst in self.routes.routes(self.cluster):
            self.routes.delete(dst)
        self.nat.remove()
        log.info("routes removed", extra={"cluster_cidr": str(self.cluster)})


def enable_forwarding(path: Path) -> None:
    """A node forwards between its pods' bridge and the node network."""
    with contextlib.suppress(OSError):
        if path.read_text().strip() != "1":
            path.write_text("1\n")
