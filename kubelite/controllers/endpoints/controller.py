"""The endpoints controller: an Endpoints object per Service with a selector, kept in step with its pods.

    Service informer ───────────────key──┐
    pod informer ── the Services selecting the pod (old and new labels) ──┼─▶ workqueue ─▶ sync(ns/name)
    Endpoints informer (deleted) ────────┘     at start: every Endpoints (a Service gone → deleted)

`sync` lists the pods the selector matches and gives each one with an IP an address per
Service port: `addresses` when it is Ready (or the Service publishes not-ready addresses),
`notReadyAddresses` otherwise; pods being deleted leave (unless published not-ready),
terminal pods leave. A named targetPort is looked up per pod, so pods may serve it on
different numbers; a pod without the port is left out of that port. More than 1000
addresses are cut to 1000 with the annotation endpoints.kubernetes.io/over-capacity:
truncated. The Endpoints carry the Service's labels, service.kubernetes.io/headless for a
headless Service, and endpointslice.kubernetes.io/skip-mirror (the EndpointSlice controller
makes this Service's slices itself). Services without a selector and ExternalName Services
are left alone: their Endpoints are the user's.

Events (component "endpoint-controller"): FailedToCreateEndpoint, FailedToUpdateEndpoint.
"""

from __future__ import annotations

import asyncio
import copy
import logging

from kubelite.api import errors
from kubelite.api.pods import is_ready
from kubelite.api.selectors.labels import selector_from_set
from kubelite.api.types import Object
from kubelite.client.events import WARNING
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, TemporaryError
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.endpoints.subsets import Entry, repack, sort_subsets
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

log = logging.getLogger("kubelite.controllers.endpoints")

NAME = "endpoints-controller"
COMPONENT = "endpoint-controller"
WORKERS = 5  # --concurrent-endpoint-syncs
MAX_CAPACITY = 1000
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"
HEADLESS = "service.kubernetes.io/headless"
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"


def endpoint_address(pod: Object, ip: str, service: Object) -> Object:
    address: Object = {"ip": ip, "targetRef": target_ref(pod)}
    node = (pod.get("spec") or {}).get("nodeName")
    if node:
        address["nodeName"] = node
    if should_set_hostname(pod, service):
        address["hostname"] = pod["spec"]["hostname"]
    return address


def entries_for(service: Object, pods: list[Object]) -> list[Entry]:
    """One (address, port, ready) per pod and Service port (no ports: one per pod)."""
    spec = service.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    entries: list[Entry] = []
    for pod in pods:
        if not should_be_in_endpoints(pod, include_terminating=publish):
            continue
        ip = pod_ips(pod)[0]
        address = endpoint_address(pod, ip, service)
        ready = publish or is_ready(pod)
        ports = spec.get("ports") or []
        if not ports and is_headless(service):
            entries.append((address, None, ready))
            continue
        for sp in ports:
            number = find_port(pod, sp)
            if number is None:
                log.debug(
                    "pod has no port for the service port",
                    extra={"pod": object_key(pod), "port": sp.get("name")},
                )
                continue
            port: Object = {
                "name": sp.get("name", ""),
                "port": number,
                "protocol": sp.get("protocol") or "TCP",
            }
            if sp.get("appProtocol"):
                port["appProtocol"] = sp["appProtocol"]
            if not port["name"]:
                del port["name"]
            entries.append((address, port, ready))
    return entries


def truncate(subsets: list[Object]) -> tuple[list[Object], bool]:
    """At most MAX_CAPACITY addresses, ready ones first, spread over the subsets in proportion."""
    total = sum(len(s.get("addresses", [])) + len(s.get("notReadyAddresses", [])) for s in subsets)
    if total <= MAX_CAPACITY:
        return subsets, False
    out, left = [], MAX_CAPACITY
    for s in subsets:
        c = dict(s)
        for field in ("addresses", "notReadyAddresses"):
            kept = c.get(field, [])[:left]
            left -= len(kept)
            if kept:
                c[field] = kept
            else:
                c.pop(field, None)
        if c.get("addresses") or c.get("notReadyAddresses"):
            out.append(c)
    return out, True


class EndpointsController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.endpoints = ctx.client.resource("endpoints")
        self.service_informer = ctx.informers.informer("services")
        self.pod_informer = ctx.informers.informer("pods")
        self.endpoints_informer = ctx.informers.informer("endpoints")
        self.recorder = ctx.recorder(COMPONENT)
        workers = ctx.concurrency(NAME, WORKERS)
        self.controller = Controller(
            "endpoint", self.sync, workers=workers, clock=ctx.clock, metrics=ctx.queue_metrics("endpoint")
        )
        self.controller.watch(self.service_informer)
        self.pod_informer.add_event_handler(
            Handlers(add=self._pod_changed, update=self._pod_updated, delete=self._pod_changed)
        )
        self.endpoints_informer.add_event_handler(_EndpointsEvents(self))
        self.controller.track(self.pod_informer)
        self.controller.track(self.endpoints_informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    def leftover(self, ep: Object) -> None:
        """Every Endpoints of the first list is looked at once: one whose Service is gone is
        deleted (Endpoints created later without a Service are the user's business)."""
        if LEADER_ANNOTATION not in (ep["metadata"].get("annotations") or {}):
            self.controller.enqueue(object_key(ep))

    def _pod_changed(self, pod: Object) -> None:
        services = self.service_informer.lister.list(pod["metadata"].get("namespace"))
        for svc in services_for_pod(services, pod):
            self.controller.enqueue(object_key(svc))

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        self._pod_changed(new)
        if old["metadata"].get("labels") != new["metadata"].get("labels"):
            self._pod_changed(old)

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        service = self.service_informer.lister.get(name, namespace)
        if service is None:
            ep = self.endpoints_informer.lister.get(name, namespace)
            if ep is not None and LEADER_ANNOTATION not in (ep["metadata"].get("annotations") or {}):
                try:
                    await self.endpoints.delete(name, namespace=namespace)
                except errors.NotFound:
                    pass
            return
        selector = selector_of(service)
        if selector is None or (service.get("spec") or {}).get("type") == "ExternalName":
            return
        pods = self.pod_informer.lister.list(namespace, selector_from_set(selector))
        subsets, truncated = truncate(repack(entries_for(service, pods)))
        await self._write(service, subsets, truncated)

    def _desired_labels(self, service: Object) -> dict[str, str]:
        labels = dict(service["metadata"].get("labels") or {})
        labels[SKIP_MIRROR] = "true"
        if is_headless(service):
            labels[HEADLESS] = ""
        else:
            labels.pop(HEADLESS, None)
        return labels

    async def _write(self, service: Object, subsets: list[Object], truncated: bool) -> None:
        md = service["metadata"]
        namespace, name = md.get("namespace", ""), md["name"]
        current = self.endpoints_informer.lister.get(name, namespace)
        labels = self._desired_labels(service)
        if current is None:
            ep: Object = {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": name, "labels": labels},
            }
        else:
            ep = copy.deepcopy(current)
            ep["metadata"]["labels"] = labels
        annotations = dict(ep["metadata"].get("annotations") or {})
        if truncated:
            annotations[OVER_CAPACITY] = "truncated"
        else:
            annotations.pop(OVER_CAPACITY, None)
        ep["metadata"]["annotations"] = annotations
        if not annotations:
            del ep["metadata"]["annotations"]
        ep["subsets"] = subsets
        if current is not None and self._unchanged(current, ep):
            return
        await self._save(service, ep, create=current is None)

    @staticmethod
    def _unchanged(current: Object, wanted: Object) -> bool:
        return (
            sort_subsets(current.get("subsets") or []) == wanted["subsets"]
            and (current["metadata"].get("labels") or {}) == wanted["metadata"]["labels"]
            and (current["metadata"].get("annotations") or {})
            == (wanted["metadata"].get("annotations") or {})
        )

    async def _save(self, service: Object, ep: Object, *, create: bool) -> None:
        namespace = service["metadata"].get("namespace", "")
        try:
            if create:
                await self.endpoints.create(ep, namespace=namespace)
            else:
                await self.endpoints.update(ep, namespace=namespace)
        except errors.Forbidden as err:
            if any(
                c.get("reason") == "NamespaceTerminating" for c in ((err.details or {}).get("causes") or [])
            ):
                return  # the namespace is going away, and the Endpoints with it
            self._failed(service, create, err)
            raise
        except errors.AlreadyExists as err:
            raise TemporaryError("the Endpoints cache is behind") from err  # retried once it catches up
        except errors.APIError as err:
            if not isinstance(err, errors.Conflict):
                self._failed(service, create, err)
            raise

    def _failed(self, service: Object, create: bool, err: errors.APIError) -> None:
        md = service["metadata"]
        verb, reason = (
            ("create", "FailedToCreateEndpoint") if create else ("update", "FailedToUpdateEndpoint")
        )
        self.recorder.event(
            {"kind": "Service", "apiVersion": "v1", **service},
            WARNING,
            reason,
            f"Failed to {verb} endpoint for service {md.get('namespace')}/{md['name']}: {err.message}",
        )


class _EndpointsEvents:
    """The Endpoints informer's events: the first list checked for leftovers; a deletion
    brings the Service's Endpoints back."""

    def __init__(self, owner: EndpointsController) -> None:
        self.owner = owner

    def on_add(self, obj: Object, is_initial_list: bool) -> None:
        if is_initial_list and not self.owner.endpoints_informer.has_synced():  # not a relist
            self.owner.leftover(obj)

    def on_update(self, old: Object, new: Object) -> None:
        pass

    def on_delete(self, obj: Object) -> None:
        self.owner.controller.enqueue(object_key(obj))
