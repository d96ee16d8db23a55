"""The node IPAM controller: every node gets a pod CIDR from the cluster CIDR (RangeAllocator).

    start: list the nodes; the CIDRs they have are taken (kept across restarts)
    node informer ──name──▶ workqueue ──▶ sync(name)
        node without spec.podCIDRs  → the next free /24 (one per --cluster-cidr family),
                                      patched into spec.podCIDR and spec.podCIDRs
        node with them              → they are taken (whoever set them)
        node gone                   → its CIDRs are free again

With --allocate-node-cidrs=false the controller does nothing (as in Kubernetes). Events on
the node (component "cidrAllocator"): CIDRNotAvailable when the range is full,
CIDRAssignmentFailed when the node could not be patched. The kubelet (and a simulated
node) follows its node's spec.podCIDR: pod IPs come from it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.events import NORMAL, WARNING
from kubelite.client.reconcile import Controller, TemporaryError
from kubelite.client.resource import PatchType
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.nodeipam.cidrset import CIDROutOfRange, CIDRRangeFull, CIDRSet, Network

log = logging.getLogger("kubelite.controllers.nodeipam")

NAME = "node-ipam-controller"
COMPONENT = "cidrAllocator"
WORKERS = 30  # Kubernetes' cidrUpdateWorkers


def parse_cidrs(text: str) -> list[Network]:
    return [ipaddress.ip_network(part.strip(), strict=True) for part in text.split(",") if part.strip()]


def node_cidrs(node: Object) -> list[str]:
    spec = node.get("spec") or {}
    cidrs = list(spec.get("podCIDRs") or [])
    if not cidrs and spec.get("podCIDR"):
        cidrs = [spec["podCIDR"]]
    return cidrs


def _node_ref(node: Object) -> Object:
    md = node["metadata"]
    return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": md["name"], "uid": md.get("uid", "")}}


class NodeIPAMController:
    def __init__(self, ctx: ControllerContext) -> None:
        s = ctx.settings
        self.sets = [
            CIDRSet(c, s.node_cidr_mask_size if c.version == 4 else s.node_cidr_mask_size_ipv6)
            for c in parse_cidrs(s.cluster_cidr)
        ]
        for service_range in parse_cidrs(s.service_cluster_ip_range):
            for cidr_set in self.sets:
                cidr_set.occupy_overlapping(service_range)
        self.nodes = ctx.client.resource("nodes")
        self.informer = ctx.informers.informer("nodes")
        self.recorder = ctx.recorder(COMPONENT)
        self.assigned: dict[str, list[Network]] = {}  # node name -> the CIDRs it holds
        self.controller = Controller(
            "node_ipam_controller",
            self.sync,
            workers=WORKERS,
            clock=ctx.clock,
            metrics=ctx.queue_metrics("node_ipam_controller"),
        )
        self.enabled = s.allocate_node_cidrs and bool(self.sets)
        if self.enabled:
            self.controller.watch(self.informer, lambda n: (n["metadata"]["name"],))

    async def run(self, ready: asyncio.Event | None = None) -> None:
        if not self.enabled:
            log.info("node CIDRs are not allocated (--allocate-node-cidrs=false or no --cluster-cidr)")
            if ready is not None:
                ready.set()
            await asyncio.Event().wait()
        await self.informer.wait_for_sync()
        for node in self.informer.lister.list():
            self._occupy(node)
        log.info("node CIDRs in use", extra={"nodes": len(self.assigned)})
        await self.controller.run(ready)

    def _occupy(self, node: Object) -> None:
        """Take the CIDRs the node has; the ones outside the cluster CIDRs are only logged."""
        name = node["metadata"]["name"]
        held: list[Network] = []
        for text in node_cidrs(node):
            cidr = ipaddress.ip_network(text, strict=False)
            for cidr_set in self.sets:
                if cidr_set.cluster_cidr.version != cidr.version:
                    continue
                try:
                    cidr_set.occupy(cidr)
                    held.append(cidr)
                except CIDROutOfRange as err:
                    log.error("node CIDR not in the cluster CIDR: %s", err, extra={"node": name})
        if held:
            self.assigned[name] = held

    def _release(self, name: str) -> None:
        for cidr in self.assigned.pop(name, []):
            for cidr_set in self.sets:
                if cidr_set.cluster_cidr.version == cidr.version:
                    try:
                        cidr_set.release(cidr)
                    except CIDROutOfRange:
                        pass
        log.info("released the CIDRs of node %s", name, extra={"node": name})

    async def sync(self, name: str) -> None:
        node = self.informer.lister.get(name)
        if node is None:
            if name in self.assigned:
                self._release(name)
            return
        if node_cidrs(node):
            if [str(c) for c in self.assigned.get(name, [])] != node_cidrs(node):
                self._release(name)
                self._occupy(node)
            return
        cidrs = self.assigned.get(name) or self._allocate(node)
        self.assigned[name] = cidrs
        await self._patch(node, cidrs)

    def _allocate(self, node: Object) -> list[Network]:
        taken: list[Network] = []
        try:
            for cidr_set in self.sets:
                taken.append(cidr_set.allocate())
        except CIDRRangeFull as err:
            for cidr in taken:
                next(s for s in self.sets if s.cluster_cidr.version == cidr.version).release(cidr)
            name = node["metadata"]["name"]
            self.recorder.event(
                _node_ref(node), NORMAL, "CIDRNotAvailable", f"Node {name} status is now: CIDRNotAvailable"
            )
            raise TemporaryError(str(err)) from err
        return taken

    async def _patch(self, node: Object, cidrs: list[Network]) -> None:
        name = node["metadata"]["name"]
        texts = [str(c) for c in cidrs]
        try:
            await self.nodes.patch(
                name, {"spec": {"podCIDR": texts[0], "podCIDRs": texts}}, patch_type=PatchType.STRATEGIC
            )
        except errors.NotFound:
            self._release(name)
            return
        except errors.APIError as err:
            self.recorder.event(
                _node_ref(node),
                WARNING,
                "CIDRAssignmentFailed",
                f"Node {name} status is now: CIDRAssignmentFailed",
            )
            log.error(
                "failed to update the node's pod CIDR: %s", err, extra={"node": name, "podCIDRs": texts}
            )
            raise
        log.info("set the pod CIDR of node %s to %s", name, ",".join(texts), extra={"node": name})
