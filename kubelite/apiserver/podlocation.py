"""Where a pod's log, exec, attach and port-forward requests go: its node's kubelet.

The checks come first, with Kubernetes' messages, so that a bad request is a Status before
anything is dialled: the pod exists; the container is one of the pod's (or, without a name,
the pod's only container); the pod has a node; the node exists and has an address.
"""

from __future__ import annotations

from aiohttp import web

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.apiserver.kubeletclient import kubelet_client
from kubelite.apiserver.registry import Registry


async def get_object(registry: Registry, plural: str, namespace: str, name: str) -> Object:
    rt = registry.catalog.get("", "v1", plural)
    assert rt is not None
    cached = await registry.get(rt, namespace, name)
    return cached.obj


def container_names(pod: Object) -> list[str]:
    spec = pod.get("spec") or {}
    return [
        c["name"]
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(key) or []
    ]


def validate_container(pod: Object, container: str) -> str:
    """The container a request is for: the named one, or the pod's only container."""
    name = pod["metadata"]["name"]
    if not container:
        containers = (pod.get("spec") or {}).get("containers") or []
        if len(containers) == 1:
            return str(containers[0]["name"])
        if not containers:
            raise errors.BadRequest(f"a container name must be specified for pod {name}")
        listed = " ".join(container_names(pod))
        raise errors.BadRequest(
            f"a container name must be specified for pod {name}, choose one of: [{listed}]"
        )
    if container not in container_names(pod):
        raise errors.BadRequest(f"container {container} is not valid for pod {name}")
    return container


async def kubelet_url(registry: Registry, request: web.Request, pod: Object) -> str:
    """https://address:port of the kubelet running `pod`; a 400 when it has no node."""
    node_name = (pod.get("spec") or {}).get("nodeName")
    if not node_name:
        raise errors.BadRequest(f"pod {pod['metadata']['name']} does not have a host assigned")
    node = await get_object(registry, "nodes", "", node_name)
    return kubelet_client(request).base_url(node)
