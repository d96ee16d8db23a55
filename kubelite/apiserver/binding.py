"""Binding a pod to a node: `POST pods/{name}/binding`, and the older `POST bindings`.

This is how a scheduler places a pod (seed 001: the scheduler only decides, through the
API). The pod gets `spec.nodeName` and a PodScheduled=True condition in one update; a pod
that already has a node, or is being deleted, answers 409 as in Kubernetes. Success is a
201 with a Success Status.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubelite.api import errors, meta
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.request import RequestInfo, decode_object, read_body, request_context
from kubelite.apiserver.responses import success_status


async def bind(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    ctx = request_context(request)
    body = decode_object(await read_body(request), request.headers.get("Content-Type", ""))
    pod_name = info.name or meta.name_of(body)
    target = (body.get("target") or {}).get("name")
    if not target:
        raise errors.invalid_object("Binding", "", pod_name, [errors.required("target.name")])
    pods = registry.catalog.get("", "v1", "pods")
    assert pods is not None

    def mutate(cur: dict[str, Any]) -> dict[str, Any]:
        spec = cur.setdefault("spec", {})
        if cur["metadata"].get("deletionTimestamp"):
            raise errors.conflict("pods", "", pod_name, "pod is being deleted, cannot be assigned to a host")
        if spec.get("nodeName"):
            message = f'pod {pod_name} is already assigned to node "{spec["nodeName"]}"'
            raise errors.conflict("pods/binding", "", pod_name, message)
        spec["nodeName"] = target
        status = cur.setdefault("status", {})
        conds = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        scheduled = {"type": "PodScheduled", "status": "True", "lastProbeTime": None}
        conds.append({**scheduled, "lastTransitionTime": meta.now_rfc3339()})
        status["conditions"] = conds
        return cur

    await registry.update(pods, info.namespace, pod_name, mutate, ctx, subresource="binding")
    return success_status(201)
