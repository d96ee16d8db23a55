"""What the API server makes sure exists, and keeps true, while it runs.

* The four system namespaces: default, kube-system, kube-public, kube-node-lease.
* The `kubernetes` Service in `default` (the first ClusterIP of the range, port 443); its
  Endpoints and EndpointSlice are endpointreconciler.py's (every live API server).

Namespace teardown (emptying a deleted namespace, then removing its `kubernetes`
finalizer) is the namespace controller's work, in `kubelite controller-manager`, as in
Kubernetes.
"""

from __future__ import annotations

import logging

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
