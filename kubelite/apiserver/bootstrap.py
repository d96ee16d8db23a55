"""What the API server makes sure exists, and keeps true, while it runs.

* The four system namespaces: default, kube-system, kube-public, kube-node-lease.
* The `kubernetes` Service in `default` (the first ClusterIP of the range, port 443)
  and its Endpoints/EndpointSlice pointing at this API server's advertised address.

Namespace teardown (emptying a deleted namespace, then removing its `kubernetes`
finalizer) is the namespace controller's work, in `kubelite controller-manager`, as in
Kubernetes.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from kubelite.api import errors
from kubelite.api.resources import ResourceType
from kubelite.apiserver.allocator import ServiceAllocator
from kubelite.apiserver.registry import Registry, RequestContext

log = logging.getLogger("kubelite.apiserver.bootstrap")

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_SYSTEM = RequestContext(user="system:apiserver", groups=("system:masters",))


def _rt(registry: Registry, group: str, plural: str, version: str = "v1") -> ResourceType:
    rt = registry.catalog.get(group, version, plural)
    assert rt is not None, plural
    return rt


async def ensure_system_namespaces(registry: Registry) -> None:
    ns = _rt(registry, "", "namespaces")
    for name in SYSTEM_NAMESPACES:
        if registry.peek(ns, "", name) is None:
            try:
                await registry.create(
                    ns, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, _SYSTEM
                )
            except errors.AlreadyExists:
                pass


async def ensure_kubernetes_service(
    registry: Registry, allocator: ServiceAllocator, advertise_address: str, port: int
) -> None:
    svc_rt = _rt(registry, "", "services")
    ip = allocator.first_ip
    if registry.peek(svc_rt, "default", "kubernetes") is None:
        svc = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "type": "ClusterIP",
                "clusterIP": ip,
                "clusterIPs": [ip],
                "sessionAffinity": "None",
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}],
            },
        }
        try:
            await registry.create(svc_rt, "default", svc, _SYSTEM)
        except errors.AlreadyExists:
            pass
    if ipaddress.ip_address(advertise_address).is_loopback:
        # Kubernetes refuses loopback endpoints (pods could not reach them). An API server
        # bound to loopback only is for this machine's own clients: no endpoints to publish.
        log.warning("advertise address is loopback; the kubernetes Service gets no endpoints")
        return
    ep = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": [
            {
                "addresses": [{"ip": advertise_address}],
                "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
            }
        ],
    }
    await _put(registry, _rt(registry, "", "endpoints"), "default", ep)
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            # As Kubernetes' API server labels it: no managed-by, so no controller claims it.
            "labels": {"kubernetes.io/service-name": "kubernetes"},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [advertise_address], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
    }
    await _put(registry, _rt(registry, "discovery.k8s.io", "endpointslices"), "default", slice_)


async def _put(registry: Registry, rt: ResourceType, namespace: str, obj: dict[str, Any]) -> None:
    name = obj["metadata"]["name"]
    if registry.peek(rt, namespace, name) is None:
        try:
            await registry.create(rt, namespace, obj, _SYSTEM)
            return
        except errors.AlreadyExists:
            pass

    def mutate(cur: dict[str, Any]) -> dict[str, Any]:
        for k, v in obj.items():
            if k != "metadata":
                cur[k] = v
        cur["metadata"]["labels"] = dict(obj["metadata"].get("labels", {}))  # ours, as written
        return cur

    await registry.update(rt, namespace, name, mutate, _SYSTEM)
