"""The generic REST verbs: one handler per verb, turning HTTP into registry calls.

    GET    object              get_object        (also /status: the whole object)
    GET    collection          list_objects      (watch=true: a watch stream, watch.py)
    POST   collection          create_object
    PUT    object[/status]     update_object
    PATCH  object[/status]     patch.py's patch_object (json, merge, strategic, apply)
    DELETE object              delete_object
    DELETE collection          delete_collection

Every handler has the shape `async (registry, request, info) -> response` (`Handler`), so
`dispatch.py` can route a request to these or to the handlers of a subresource (scale,
binding, eviction, finalize) or of a resource that is not stored (componentstatuses) from
one table. Handlers raise `kubelite.api.errors`; the application turns them into Status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from kubelite.api import errors
from kubelite.api.resources import ResourceType
from kubelite.apiserver import conversion, fieldvalidation
from kubelite.apiserver.registry import RETURNS_DELETED_OBJECT, Registry, RequestContext
from kubelite.apiserver.request import (
    RequestInfo,
    as_object,
    check_type,
    decode_body,
    delete_options,
    list_options,
    media_type,
    query_bool,
    read_body,
    request_context,
    require_verb,
    wants_table,
)
from kubelite.apiserver.responses import (
    external_json,
    json_response,
    object_response,
    success_status,
    table_json,
)
from kubelite.apiserver.watch import serve_watch

Handler = Callable[[Registry, web.Request, RequestInfo], Awaitable[web.StreamResponse]]


# ---- reads -------------------------------------------------------------------------------


async def get_object(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    rt = info.rt
    require_verb(rt, "get")
    co = await registry.get(rt, info.namespace, info.name, request.query.get("resourceVersion", ""))
    body = external_json(rt, co)
    if wants_table(request.headers.get("Accept", "")):
        return json_response(table_json(request, rt, [orjson.loads(body)], str(co.revision)))
    return json_response(body)


async def list_objects(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    rt = info.rt
    opts = list_options(request, rt)
    if query_bool(request.query, "watch"):
        require_verb(rt, "watch")
        return await serve_watch(request, registry, rt, info.namespace, opts)
    require_verb(rt, "list")
    if opts.resource_version_match and opts.resource_version_match not in ("NotOlderThan", "Exact"):
        raise errors.BadRequest(f'resourceVersionMatch: Unsupported value: "{opts.resource_version_match}"')
    page = await registry.list(rt, info.namespace, opts)
    rv = str(page.resource_version)
    if wants_table(request.headers.get("Accept", "")):
        objs = [orjson.loads(external_json(rt, co)) for co in page.items]
        return json_response(table_json(request, rt, objs, rv, page.continue_token, page.remaining))
    md: dict[str, Any] = {"resourceVersion": rv}
    if page.continue_token:
        md["continue"] = page.continue_token
    if page.remaining is not None:
        md["remainingItemCount"] = page.remaining
    head = orjson.dumps({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": md})
    items = b",".join(external_json(rt, co) for co in page.items)
    return json_response(head[:-1] + b',"items":[' + items + b"]}")


# ---- writes ------------------------------------------------------------------------------


async def create_object(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    rt = info.rt
    require_verb(rt, "create")
    if rt.custom is not None and rt.custom.terminating:
        raise errors.MethodNotAllowed(
            "create not allowed while custom resource definition is terminating",
            details={"group": rt.group, "kind": rt.plural},
        )
    ctx = request_context(request)
    body = decode_checked(rt, await read_body(request), request.headers.get("Content-Type", ""), ctx)
    check_type(rt, body)
    check_namespace(info, body)
    obj = conversion.to_internal(rt, body) if conversion.needed(rt) else body
    created = await registry.create(rt, info.namespace, obj, ctx)
    return object_response(rt, created, 201, ctx)


async def update_object(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    rt = info.rt
    require_verb(rt, "update")
    ctx = request_context(request)
    body = decode_checked(rt, await read_body(request), request.headers.get("Content-Type", ""), ctx)
    check_type(rt, body)
    md = body["metadata"]
    check_name(info, body)
    md["name"] = info.name
    check_namespace(info, body)
    new = conversion.to_internal(rt, body) if conversion.needed(rt) else body
    updated = await registry.update(
        rt,
        info.namespace,
        info.name,
        lambda _cur: new,
        ctx,
        subresource=info.subresource,
        pinned_rv=md.get("resourceVersion", ""),
    )
    return object_response(rt, updated, 200, ctx)


async def delete_object(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    rt = info.rt
    require_verb(rt, "delete")
    opts, body_dry = await delete_options(request)
    ctx = request_context(request, body_dry_run=body_dry)
    opts.dry_run = ctx.dry_run
    obj, gone = await registry.delete(rt, info.namespace, info.name, opts, ctx)
    if gone and (rt.group, rt.plural) not in RETURNS_DELETED_OBJECT:
        details: dict[str, Any] = {
            "name": info.name,
            "kind": rt.plural,
            "uid": obj["metadata"].get("uid", ""),
        }
        if rt.group:
            details["group"] = rt.group
        return success_status(details=details, ctx=ctx)
    return object_response(rt, obj, 200, ctx)


async def delete_collection(
    registry: Registry, request: web.Request, info: RequestInfo
) -> web.StreamResponse:
    rt = info.rt
    require_verb(rt, "deletecollection")
    opts, body_dry = await delete_options(request)
    ctx = request_context(request, body_dry_run=body_dry)
    opts.dry_run = ctx.dry_run
    lopts = list_options(request, rt)
    lopts.limit = 0
    lopts.continue_token = ""
    page = await registry.list(rt, info.namespace, lopts)
    deleted = []
    for co in page.items:
        md = co.obj["metadata"]
        try:
            obj, _ = await registry.delete(rt, md.get("namespace", ""), md["name"], opts, ctx)
        except errors.NotFound:
            continue
        deleted.append(conversion.to_external(rt, obj) if conversion.needed(rt) else obj)
    body = {
        "kind": rt.list_kind,
        "apiVersion": rt.api_version,
        "metadata": {"resourceVersion": str(registry.cache.revision)},
        "items": deleted,
    }
    return json_response(orjson.dumps(body), 200, ctx)


# ---- shared by the write handlers ----------------------------------------------------------


def decode_checked(rt: ResourceType, raw: bytes, content_type: str, ctx: RequestContext) -> dict[str, Any]:
    """The body, refused when a value has the wrong type for its field, with unknown and
    duplicate fields handled as fieldValidation says."""
    decoded = decode_body(raw, content_type)
    fieldvalidation.check_types(rt, decoded, prefix=fieldvalidation.decode_prefix(rt))
    body = as_object(decoded)
    dups = (
        []
        if ctx.field_validation == "Ignore"
        else fieldvalidation.duplicate_fields(raw, media_type(content_type), body)
    )
    fieldvalidation.check(
        rt,
        body,
        ctx.field_validation,
        ctx.warnings,
        duplicates=dups,
        prefix=fieldvalidation.decode_prefix(rt),
    )
    return body


def check_name(info: RequestInfo, body: dict[str, Any]) -> None:
    name = body["metadata"].get("name")
    if name and name != info.name:
        raise errors.BadRequest(
            f"the name of the object ({name}) does not match the name on the URL ({info.name})"
        )


def check_namespace(info: RequestInfo, body: dict[str, Any]) -> None:
    body_ns = body["metadata"].get("namespace")
    if info.rt.namespaced and body_ns and body_ns != info.namespace:
        raise errors.BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
