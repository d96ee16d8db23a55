"""The EndpointSlice mirroring controller: hand-written Endpoints also appear as EndpointSlices.

    Endpoints informer ───────────────key──┐
    Service informer (same namespace/name) ┼─▶ workqueue ─▶ sync(ns/name)
    EndpointSlice informer (mirrored ones) ┘

Endpoints are mirrored when a Service of the same name exists and has no selector (with a
selector, the EndpointSlice controller makes the slices from the pods) and the Endpoints
are not labelled endpointslice.kubernetes.io/skip-mirror: "true" (the endpoints
controller's own, and the API server's `kubernetes` Endpoints, are). Each subset's ports
and addresses become endpoints with conditions.ready (true for `addresses`, false for
`notReadyAddresses`), split by address type, at most 1000 a subset and 1000 a slice. The
slices carry the Endpoints' labels and annotations (not last-applied-configuration), are
labelled kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by:
endpointslicemirroring-controller.k8s.io, and are owned by the Endpoints. Anything else
(Service gone, selector added, Endpoints deleted or skipped) removes the mirrored slices.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging

from kubelite.api.types import Object
from kubelite.client.reconcile import Controller
from kubelite.client.store import split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.endpointslice.reconciler import Plan, SliceTemplate, SliceWriter, plan, ports_key
from kubelite.controllers.endpointutil import selector_of

log = logging.getLogger("kubelite.controllers.endpointslicemirroring")

NAME = "endpointslice-mirroring-controller"
MANAGED_BY = "endpointslicemirroring-controller.k8s.io"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"
DROPPED_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "endpoints.kubernetes.io/last-change-trigger-time",
    LEADER_ANNOTATION,
)
WORKERS = 5  # --mirroring-concurrent-service-endpoint-syncs
MAX_PER_SUBSET = 1000  # --mirroring-max-endpoints-per-subset
MAX_PER_SLICE = 1000

Desired = dict[str, dict[str, tuple[list[Object] | None, list[Object]]]]  # type -> ports key -> ...


def address_type(ip: str) -> str | None:
    try:
        return "IPv6" if ipaddress.ip_address(ip).version == 6 else "IPv4"
    except ValueError:
        return None


def mirrored_endpoint(address: Object, ready: bool) -> Object:
    ep: Object = {"addresses": [address["ip"]], "conditions": {"ready": ready}}
    for field in ("hostname", "nodeName", "targetRef"):
        if address.get(field):
            ep[field] = address[field]
    return ep


def desired_endpoints(endpoints: Object, max_per_subset: int = MAX_PER_SUBSET) -> Desired:
    desired: Desired = {}
    for subset in endpoints.get("subsets") or []:
        ports = [
            {k: v for k, v in p.items() if k in ("name", "port", "protocol", "appProtocol")}
            for p in subset.get("ports") or []
        ]
        for p in ports:
            p.setdefault("name", "")
            p.setdefault("protocol", "TCP")
        addresses = [(a, True) for a in subset.get("addresses") or []]
        addresses += [(a, False) for a in subset.get("notReadyAddresses") or []]
        for address, ready in addresses[:max_per_subset]:
            kind = address_type(address.get("ip", ""))
            if kind is None:
                continue
            entry = desired.setdefault(kind, {}).setdefault(ports_key(ports), (ports, []))
            entry[1].append(mirrored_endpoint(address, ready))
    return desired


def should_mirror(endpoints: Object) -> bool:
    md = endpoints["metadata"]
    if (md.get("labels") or {}).get(SKIP_MIRROR) == "true":
        return False
    return LEADER_ANNOTATION not in (md.get("annotations") or {})


def slice_metadata(endpoints: Object) -> Object:
    md = endpoints["metadata"]
    labels = {k: v for k, v in (md.get("labels") or {}).items() if k != MANAGED_BY_LABEL}
    labels[SERVICE_NAME_LABEL] = md["name"]
    labels[MANAGED_BY_LABEL] = MANAGED_BY
    annotations = {k: v for k, v in (md.get("annotations") or {}).items() if k not in DROPPED_ANNOTATIONS}
    owner = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "name": md["name"],
        "uid": md.get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }
    out: Object = {
        "generateName": f"{md['name']}-",
        "namespace": md.get("namespace", ""),
        "labels": labels,
        "ownerReferences": [owner],
    }
    if annotations:
        out["annotations"] = annotations
    return out


class EndpointSliceMirroringController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.slices = ctx.client.resource("endpointslices", group="discovery.k8s.io")
        self.endpoints_informer = ctx.informers.informer("endpoints")
        self.service_informer = ctx.informers.informer("services")
        self.slice_informer = ctx.informers.informer("endpointslices", group="discovery.k8s.io")
        self.max_per_subset = ctx.settings.mirroring_max_endpoints_per_subset
        self.controller = Controller(
            "endpoint_slice_mirroring",
            self.sync,
            workers=ctx.concurrency(NAME, WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics("endpoint_slice_mirroring"),
        )
        self.controller.watch(self.endpoints_informer)
        self.controller.watch(self.service_informer)
        self.controller.watch(self.slice_informer, self._endpoints_of_slice)
        self.writer = SliceWriter(self.slices, self.slice_informer.lister)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    @staticmethod
    def _endpoints_of_slice(s: Object) -> list[str]:
        labels = s["metadata"].get("labels") or {}
        if labels.get(MANAGED_BY_LABEL) != MANAGED_BY or not labels.get(SERVICE_NAME_LABEL):
            return []
        return [f"{s['metadata'].get('namespace', '')}/{labels[SERVICE_NAME_LABEL]}"]

    def _mirrored(self, namespace: str, name: str) -> list[Object]:
        return [
            s
            for s in self.slice_informer.lister.list(namespace)
            if (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name
            and (s["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY
            and not s["metadata"].get("deletionTimestamp")
        ]

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        if self.writer.stale(key, namespace):
            return
        service = self.service_informer.lister.get(name, namespace)
        endpoints = self.endpoints_informer.lister.get(name, namespace)
        existing = self._mirrored(namespace, name)
        if (
            service is None
            or selector_of(service) is not None
            or endpoints is None
            or not should_mirror(endpoints)
        ):
            await self.writer.apply(key, Plan(delete=existing), namespace)
            return
        desired = desired_endpoints(endpoints, self.max_per_subset)
        metadata = slice_metadata(endpoints)
        types = sorted(set(desired) | {s.get("addressType", "IPv4") for s in existing})
        for kind in types:
            mine = [s for s in existing if s.get("addressType") == kind]
            p = plan(
                mine, desired.get(kind, {}), SliceTemplate(metadata, kind), MAX_PER_SLICE, placeholder=False
            )
            await self.writer.apply(key, p, namespace)
