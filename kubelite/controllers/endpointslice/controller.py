"""The EndpointSlice controller: the EndpointSlices of every Service with a selector.

    Service informer ─────────────────────────────key──┐
    pod informer ── the Services selecting the pod (old and new labels) ──┼─▶ workqueue ─▶ sync(ns/name)
    EndpointSlice informer (ours: changed or deleted) ─┘

Each pod the selector matches, with an IP of the slice's address type and not terminal, is
one endpoint:

    conditions.serving      the pod is Ready (or the Service publishes not-ready addresses)
    conditions.terminating  the pod is being deleted
    conditions.ready        serving and not terminating (always, with publishNotReadyAddresses)
    targetRef, nodeName, zone (the node's topology.kubernetes.io/zone), hostname (pods whose
    subdomain is the Service's name)

Pods are grouped by the ports they serve (a named targetPort is resolved per pod), at most
100 endpoints a slice (--max-endpoints-per-slice); `reconciler.py` plans the writes. The
slices are named <service>-<random>, owned by the Service (the garbage collector removes
them with it), labelled kubernetes.io/service-name, endpointslice.kubernetes.io/managed-by:
endpointslice-controller.k8s.io and the Service's own labels. Topology hints are left empty.
"""

from __future__ import annotations

import asyncio
import logging

from kubelite.api.pods import is_ready
from kubelite.api.selectors.labels import selector_from_set
from kubelite.api.types import Object
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.endpointslice.reconciler import SliceTemplate, SliceWriter, plan, ports_key
from kubelite.controllers.endpointutil import (
    find_port,
    is_headless,
    pod_ips,
    selector_of,
    services_for_pod,
    should_be_in_endpoints,
    should_set_hostname,
    target_ref,
)

log = logging.getLogger("kubelite.controllers.endpointslice")

NAME = "endpointslice-controller"
MANAGED_BY = "endpointslice-controller.k8s.io"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
HEADLESS_LABEL = "service.kubernetes.io/headless"
ZONE_LABEL = "topology.kubernetes.io/zone"
WORKERS = 5  # --concurrent-service-endpoint-syncs
MAX_PER_SLICE = 100  # --max-endpoints-per-slice


def address_types(service: Object) -> list[str]:
    families = (service.get("spec") or {}).get("ipFamilies") or ["IPv4"]
    return ["IPv6" if f == "IPv6" else "IPv4" for f in families]


def _family_ip(pod: Object, address_type: str) -> str | None:
    for ip in pod_ips(pod):
        if (":" in ip) == (address_type == "IPv6"):
            return ip
    return None


def endpoint_ports(service: Object, pod: Object) -> list[Object]:
    ports = []
    for sp in (service.get("spec") or {}).get("ports") or []:
        number = find_port(pod, sp)
        if number is None:
            continue
        port: Object = {"name": sp.get("name", ""), "port": number, "protocol": sp.get("protocol") or "TCP"}
        if sp.get("appProtocol"):
            port["appProtocol"] = sp["appProtocol"]
        ports.append(port)
    return ports


def pod_endpoint(pod: Object, ip: str, service: Object, node: Object | None) -> Object:
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    serving = publish or is_ready(pod)
    terminating = bool(pod["metadata"].get("deletionTimestamp"))
    ep: Object = {
        "addresses": [ip],
        "conditions": {
            "ready": publish or (serving and not terminating),
            "serving": serving,
            "terminating": terminating,
        },
        "targetRef": target_ref(pod),
    }
    node_name = (pod.get("spec") or {}).get("nodeName")
    if node_name:
        ep["nodeName"] = node_name
    zone = ((node or {}).get("metadata", {}).get("labels") or {}).get(ZONE_LABEL)
    if zone:
        ep["zone"] = zone
    if should_set_hostname(pod, service):
        ep["hostname"] = pod["spec"]["hostname"]
    return ep


def slice_labels(service: Object) -> dict[str, str]:
    labels = {
        k: v
        for k, v in (service["metadata"].get("labels") or {}).items()
        if k not in (SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL)
    }
    labels[SERVICE_NAME_LABEL] = service["metadata"]["name"]
    labels[MANAGED_BY_LABEL] = MANAGED_BY
    if is_headless(service):
        labels[HEADLESS_LABEL] = ""
    return labels


def owner_reference(service: Object) -> Object:
    md = service["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "name": md["name"],
        "uid": md.get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


class EndpointSliceController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.slices = ctx.client.resource("endpointslices", group="discovery.k8s.io")
        self.service_informer = ctx.informers.informer("services")
        self.pod_informer = ctx.informers.informer("pods")
        self.node_informer = ctx.informers.informer("nodes")
        self.slice_informer = ctx.informers.informer("endpointslices", group="discovery.k8s.io")
        self.max_per_slice = ctx.settings.max_endpoints_per_slice
        self.writer = SliceWriter(self.slices, self.slice_informer.lister)
        self.controller = Controller(
            "endpoint_slice",
            self.sync,
            workers=ctx.concurrency(NAME, WORKERS),
            clock=ctx.clock,
            metrics=ctx.queue_metrics("endpoint_slice"),
        )
        self.controller.watch(self.service_informer)
        self.pod_informer.add_event_handler(
            Handlers(add=self._pod_changed, update=self._pod_updated, delete=self._pod_changed)
        )
        self.controller.watch(self.slice_informer, self._service_of_slice)
        self.controller.track(self.pod_informer)
        self.controller.track(self.node_informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    @staticmethod
    def _service_of_slice(s: Object) -> list[str]:
        labels = s["metadata"].get("labels") or {}
        if labels.get(MANAGED_BY_LABEL) != MANAGED_BY or not labels.get(SERVICE_NAME_LABEL):
            return []
        return [f"{s['metadata'].get('namespace', '')}/{labels[SERVICE_NAME_LABEL]}"]

    def _pod_changed(self, pod: Object) -> None:
        for svc in services_for_pod(self.service_informer.lister.list(pod["metadata"].get("namespace")), pod):
            self.controller.enqueue(object_key(svc))

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        self._pod_changed(new)
        if old["metadata"].get("labels") != new["metadata"].get("labels"):
            self._pod_changed(old)

    def _existing(self, namespace: str, name: str) -> list[Object]:
        return [
            s
            for s in self.slice_informer.lister.list(namespace)
            if (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name
            and (s["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY
            and not s["metadata"].get("deletionTimestamp")
        ]

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        service = self.service_informer.lister.get(name, namespace)
        if service is None:
            return  # its slices are owned by it: the garbage collector deletes them
        selector = selector_of(service)
        if selector is None or (service.get("spec") or {}).get("type") == "ExternalName":
            return
        if self.writer.stale(key, namespace):
            return  # the slice informer's event for our last write will bring the key back
        pods = self.pod_informer.lister.list(namespace, selector_from_set(selector))
        existing = self._existing(namespace, name)
        metadata = {
            "generateName": f"{name}-",
            "namespace": namespace,
            "labels": slice_labels(service),
            "ownerReferences": [owner_reference(service)],
        }
        types = address_types(service)
        for i, address_type in enumerate(types):
            desired = self._desired(service, pods, address_type)
            # Slices of an address type no longer served go with the first type's plan.
            mine = [
                s
                for s in existing
                if s.get("addressType") == address_type or (i == 0 and s.get("addressType") not in types)
            ]
            template = SliceTemplate(metadata, address_type)
            await self.writer.apply(key, plan(mine, desired, template, self.max_per_slice), namespace)

    def _desired(
        self, service: Object, pods: list[Object], address_type: str
    ) -> dict[str, tuple[list[Object] | None, list[Object]]]:
        desired: dict[str, tuple[list[Object] | None, list[Object]]] = {}
        for pod in pods:
            if not should_be_in_endpoints(pod, include_terminating=True):
                continue
            ip = _family_ip(pod, address_type)
            if ip is None:
                continue
            node = self.node_informer.lister.get((pod.get("spec") or {}).get("nodeName") or "")
            ports = endpoint_ports(service, pod)
            entry = desired.setdefault(ports_key(ports), (ports, []))
            entry[1].append(pod_endpoint(pod, ip, service, node))
        return desired
