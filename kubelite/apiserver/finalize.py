"""`PUT namespaces/{name}/finalize`: the namespace controller's way to remove finalizers
from `spec.finalizers` once a terminating namespace is empty. Only `spec.finalizers` of the
body is read; everything else of the Namespace stays as stored."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubelite.apiserver.registry import Registry
from kubelite.apiserver.request import RequestInfo, decode_object, read_body, request_context, require_verb
from kubelite.apiserver.responses import object_response


async def finalize_namespace(
    registry: Registry, request: web.Request, info: RequestInfo
) -> web.StreamResponse:
    require_verb(info.rt, "update")
    ctx = request_context(request)
    body = decode_object(await read_body(request), request.headers.get("Content-Type", ""))
    finalizers = list((body.get("spec") or {}).get("finalizers") or [])

    def mutate(cur: dict[str, Any]) -> dict[str, Any]:
        spec = cur.setdefault("spec", {})
        spec["finalizers"] = finalizers
        if not finalizers:
            spec.pop("finalizers")
        return cur

    updated = await registry.update(info.rt, "", info.name, mutate, ctx, subresource="finalize")
    return object_response(info.rt, updated, 200, ctx)
