"""REST handlers: one function per verb, turning HTTP into registry calls.

GET    collection            list (or watch with ?watch=true)
GET    object[/status|scale] get
POST   collection            create
POST   object/binding        bind a pod to a node
PUT    object[/status|scale] update
PATCH  object[/status|scale] patch (json, merge, strategic-merge)
DELETE object                delete
DELETE collection            deletecollection
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from aiohttp import web

from kubelite.api import errors, meta
from kubelite.api.resources import ResourceType
from kubelite.apiserver import componentstatus, conversion, fieldvalidation, scale
from kubelite.apiserver.managedfields import default_manager
from kubelite.apiserver.registry import (
    RETURNS_DELETED_OBJECT,
    DeleteOptions,
    ListOptions,
    Registry,
    RequestContext,
)
from kubelite.apiserver.request import (
    JSON,
    RequestInfo,
    check_type,
    decode_body,
    decode_object,
    media_type,
    query_bool,
    query_int,
    table_include_object,
    wants_table,
)
from kubelite.apiserver.watch import serve_watch
from kubelite.apiserver.watchcache import CachedObject

log = logging.getLogger("kubelite.apiserver.handlers")

_VALIDATION_MODES = ("Strict", "Warn", "Ignore")


def json_response(body: bytes, status: int = 200, ctx: RequestContext | None = None) -> web.Response:
    headers = None
    if ctx is not None and ctx.warnings:
        headers = [("Warning", warning_header(w)) for w in ctx.warnings]
    resp = web.Response(body=body, status=status, content_type=JSON)
    if headers:
        for k, v in headers:
            resp.headers.add(k, v)
    return resp


def warning_header(text: str) -> str:
    """`299 - "text"` with the text as an HTTP quoted-string, as Kubernetes sends warnings."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{quoted}"'


def _verb_allowed(rt: ResourceType, verb: str) -> None:
    if verb not in rt.verbs:
        raise errors.MethodNotAllowed(
            "the server does not allow this method on the requested resource", details={}
        )


def request_context(request: web.Request, *, body_dry_run: list[str] | None = None) -> RequestContext:
    q = request.query
    dry = q.getall("dryRun", []) + (body_dry_run or [])
    for d in dry:
        if d != "All":
            raise errors.BadRequest(f'Invalid dry run value: "{d}": supported values: "All"')
    mode = q.get("fieldValidation", "")
    if mode and mode not in _VALIDATION_MODES:
        raise errors.BadRequest(
            f'Invalid fieldValidation value: "{mode}": supported values: "Ignore", "Strict", "Warn"'
        )
    user = request.get("user")
    manager = q.get("fieldManager", "")
    if len(manager) > 128:
        raise errors.BadRequest("fieldManager: Too long: may not be more than 128 bytes")
    return RequestContext(
        user=getattr(user, "name", ""),
        groups=getattr(user, "groups", ()),
        dry_run=bool(dry),
        field_manager=manager or default_manager(request.headers.get("User-Agent", "")),
        field_validation=mode or "Warn",
    )


def list_options(request: web.Request) -> ListOptions:
    from kubelite.api.selectors import parse_field_selector, parse_label_selector

    q = request.query
    ls = q.get("labelSelector") or ""
    fs = q.get("fieldSelector") or ""
    limit = query_int(q, "limit") or 0
    if limit < 0:
        limit = 0
    return ListOptions(
        label_selector=parse_label_selector(ls) if ls else None,
        field_selector=parse_field_selector(fs) if fs else None,
        limit=limit,
        continue_token=q.get("continue", ""),
        resource_version=q.get("resourceVersion", ""),
        resource_version_match=q.get("resourceVersionMatch", ""),
    )


def check_field_selector(rt: ResourceType, opts: ListOptions) -> None:
    """Every field must be selectable on this resource (400 as Kubernetes words it)."""
    from kubelite.api.selectors import validate_field_selector

    if opts.field_selector is not None:
        opts.field_selector = validate_field_selector(rt, opts.field_selector)


class ResourceHandlers:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    # ---- reads -------------------------------------------------------------------------

    async def _store_ok(self) -> bool:
        try:
            await asyncio.wait_for(self.registry.store.current_revision(), 2.0)
            return True
        except Exception:  # any failure means unhealthy here
            return False

    async def _component_statuses(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        if info.name:
            items = [await componentstatus.component_status(info.name, self._store_ok)]
        else:
            items = await componentstatus.component_statuses(self._store_ok)
        rv = str(self.registry.cache.revision)
        if wants_table(request.headers.get("Accept", "")):
            return json_response(self._table(request, info.rt, items, rv))
        if info.name:
            return json_response(orjson.dumps(items[0]))
        return json_response(
            orjson.dumps(
                {
                    "kind": "ComponentStatusList",
                    "apiVersion": "v1",
                    "metadata": {"resourceVersion": rv},
                    "items": items,
                }
            )
        )

    async def get(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        rt = info.rt
        _verb_allowed(rt, "get")
        if rt.group == "" and rt.plural == "componentstatuses":
            return await self._component_statuses(request, info)
        co = await self.registry.get(rt, info.namespace, info.name, request.query.get("resourceVersion", ""))
        if info.subresource == "scale":
            return json_response(orjson.dumps(scale.to_scale(rt, co.obj)))
        obj_json = self._external_json(rt, co)
        if wants_table(request.headers.get("Accept", "")):
            return json_response(self._table(request, rt, [orjson.loads(obj_json)], str(co.revision)))
        return json_response(obj_json)

    def _external_json(self, rt: ResourceType, co: CachedObject) -> bytes:
        if conversion.needed(rt):
            return orjson.dumps(conversion.to_external(rt, co.obj))
        return co.json()

    def _table(
        self,
        request: web.Request,
        rt: ResourceType,
        objects: list[dict[str, Any]],
        rv: str,
        cont: str = "",
        remaining: int | None = None,
    ) -> bytes:
        from kubelite.apiserver.printers import table_for

        table = table_for(rt, objects, include_object=table_include_object(request.query))
        md: dict[str, Any] = {"resourceVersion": rv}
        if cont:
            md["continue"] = cont
        if remaining is not None:
            md["remainingItemCount"] = remaining
        table["metadata"] = md
        return orjson.dumps(table)

    async def list(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        rt = info.rt
        opts = list_options(request)
        check_field_selector(rt, opts)
        if query_bool(request.query, "watch"):
            _verb_allowed(rt, "watch")
            return await serve_watch(request, self.registry, rt, info.namespace, opts)
        _verb_allowed(rt, "list")
        if rt.group == "" and rt.plural == "componentstatuses":
            return await self._component_statuses(request, info)
        if opts.resource_version_match and opts.resource_version_match not in ("NotOlderThan", "Exact"):
            raise errors.BadRequest(
                f'resourceVersionMatch: Unsupported value: "{opts.resource_version_match}"'
            )
        page = await self.registry.list(rt, info.namespace, opts)
        rv = str(page.resource_version)
        if wants_table(request.headers.get("Accept", "")):
            objs = [orjson.loads(self._external_json(rt, co)) for co in page.items]
            return json_response(self._table(request, rt, objs, rv, page.continue_token, page.remaining))
        md: dict[str, Any] = {"resourceVersion": rv}
        if page.continue_token:
            md["continue"] = page.continue_token
        if page.remaining is not None:
            md["remainingItemCount"] = page.remaining
        head = orjson.dumps({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": md})
        items = b",".join(self._external_json(rt, co) for co in page.items)
        return json_response(head[:-1] + b',"items":[' + items + b"]}")

    # ---- writes ------------------------------------------------------------------------

    async def create(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        rt = info.rt
        if info.subresource == "binding" or (rt.plural == "bindings" and rt.group == ""):
            return await self.bind(request, info)
        if info.subresource == "eviction":
            from kubelite.apiserver.eviction import evict

            return await evict(self, request, info)
        _verb_allowed(rt, "create")
        ctx = request_context(request)
        body = self._decode_checked(rt, await request.read(), request.headers.get("Content-Type", ""), ctx)
        check_type(rt, body)
        body_ns = body["metadata"].get("namespace")
        if rt.namespaced and body_ns and body_ns != info.namespace:
            raise errors.BadRequest(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        obj = conversion.to_internal(rt, body) if conversion.needed(rt) else body
        created = await self.registry.create(rt, info.namespace, obj, ctx)
        return self._respond_object(rt, created, 201, ctx)

    def _decode_checked(
        self, rt: ResourceType, raw: bytes, content_type: str, ctx: RequestContext
    ) -> dict[str, Any]:
        """The body, with unknown and duplicate fields handled as fieldValidation says."""
        body = decode_object(raw, content_type)
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

    def _respond_object(
        self, rt: ResourceType, obj: dict[str, Any], status: int, ctx: RequestContext | None = None
    ) -> web.Response:
        if conversion.needed(rt):
            obj = conversion.to_external(rt, obj)
        return json_response(orjson.dumps(obj), status, ctx)

    async def update(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        rt = info.rt
        _verb_allowed(rt, "update")
        ctx = request_context(request)
        raw, ctype = await request.read(), request.headers.get("Content-Type", "")
        if info.subresource in ("scale", "finalize"):
            body = decode_object(raw, ctype)
        else:
            body = self._decode_checked(rt, raw, ctype, ctx)
        if info.subresource == "scale":
            return await self._update_scale(info, body, ctx)
        if info.subresource == "finalize":
            return await self._finalize(info, body, ctx)
        check_type(rt, body)
        md = body["metadata"]
        if md.get("name") and md["name"] != info.name:
            raise errors.BadRequest(
                f"the name of the object ({md['name']}) does not match the name on the URL ({info.name})"
            )
        md["name"] = info.name
        body_ns = md.get("namespace")
        if rt.namespaced and body_ns and body_ns != info.namespace:
            raise errors.BadRequest(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        new = conversion.to_internal(rt, body) if conversion.needed(rt) else body
        pinned = md.get("resourceVersion", "")
        updated = await self.registry.update(
            rt,
            info.namespace,
            info.name,
            lambda _cur: new,
            ctx,
            subresource=info.subresource,
            pinned_rv=pinned,
        )
        return self._respond_object(rt, updated, 200, ctx)

    async def _finalize(
        self, info: RequestInfo, body: dict[str, Any], ctx: RequestContext
    ) -> web.StreamResponse:
        finalizers = (body.get("spec") or {}).get("finalizers") or []

        def mutate(cur: dict[str, Any]) -> dict[str, Any]:
            cur.setdefault("spec", {})["finalizers"] = list(finalizers)
            if not finalizers:
                cur["spec"].pop("finalizers")
            return cur

        updated = await self.registry.update(info.rt, "", info.name, mutate, ctx, subresource="finalize")
        return self._respond_object(info.rt, updated, 200, ctx)

    async def _update_scale(
        self, info: RequestInfo, body: dict[str, Any], ctx: RequestContext
    ) -> web.StreamResponse:
        check_type(info.rt, body, kind="Scale", api_version="autoscaling/v1")
        replicas = scale.replicas_from(body)
        pinned = body["metadata"].get("resourceVersion", "")

        def mutate(cur: dict[str, Any]) -> dict[str, Any]:
            cur.setdefault("spec", {})["replicas"] = replicas
            return cur

        updated = await self.registry.update(
            info.rt, info.namespace, info.name, mutate, ctx, subresource="scale", pinned_rv=pinned
        )
        return json_response(orjson.dumps(scale.to_scale(info.rt, updated)), 200, ctx)

    async def patch(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        from kubelite.apiserver.patchhandler import handle_patch

        return await handle_patch(self, request, info)

    async def bind(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        ctx = request_context(request)
        body = decode_object(await request.read(), request.headers.get("Content-Type", ""))
        pod_name = info.name or meta.name_of(body)
        target = (body.get("target") or {}).get("name")
        if not target:
            raise errors.invalid_object("Binding", "", pod_name, [errors.required("target.name")])
        pods = self.registry.catalog.get("", "v1", "pods")
        assert pods is not None

        def mutate(cur: dict[str, Any]) -> dict[str, Any]:
            spec = cur.setdefault("spec", {})
            if cur["metadata"].get("deletionTimestamp"):
                raise errors.conflict(
                    "pods", "", pod_name, "pod is being deleted, cannot be assigned to a host"
                )
            if spec.get("nodeName"):
                raise errors.conflict(
                    "pods/binding",
                    "",
                    pod_name,
                    f'pod {pod_name} is already assigned to node "{spec["nodeName"]}"',
                )
            spec["nodeName"] = target
            status = cur.setdefault("status", {})
            conds = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
            conds.append(
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": meta.now_rfc3339(),
                }
            )
            status["conditions"] = conds
            return cur

        await self.registry.update(pods, info.namespace, pod_name, mutate, ctx, subresource="binding")
        return json_response(
            orjson.dumps(
                {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
            ),
            201,
        )

    async def delete(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        rt = info.rt
        _verb_allowed(rt, "delete")
        opts, body_dry = await _delete_options(request)
        ctx = request_context(request, body_dry_run=body_dry)
        opts.dry_run = ctx.dry_run
        obj, gone = await self.registry.delete(rt, info.namespace, info.name, opts, ctx)
        if gone and (rt.group, rt.plural) not in RETURNS_DELETED_OBJECT:
            details: dict[str, Any] = {
                "name": info.name,
                "kind": rt.plural,
                "uid": obj["metadata"].get("uid", ""),
            }
            if rt.group:
                details["group"] = rt.group
            return json_response(
                orjson.dumps(
                    {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "metadata": {},
                        "status": "Success",
                        "details": details,
                    }
                ),
                200,
                ctx,
            )
        return self._respond_object(rt, obj, 200, ctx)

    async def delete_collection(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        rt = info.rt
        _verb_allowed(rt, "deletecollection")
        opts, body_dry = await _delete_options(request)
        ctx = request_context(request, body_dry_run=body_dry)
        opts.dry_run = ctx.dry_run
        lopts = list_options(request)
        check_field_selector(rt, lopts)
        lopts.limit = 0
        lopts.continue_token = ""
        page = await self.registry.list(rt, info.namespace, lopts)
        deleted = []
        for co in page.items:
            md = co.obj["metadata"]
            try:
                obj, _ = await self.registry.delete(rt, md.get("namespace", ""), md["name"], opts, ctx)
            except errors.NotFound:
                continue
            deleted.append(conversion.to_external(rt, obj) if conversion.needed(rt) else obj)
        body = {
            "kind": rt.list_kind,
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(self.registry.cache.revision)},
            "items": deleted,
        }
        return json_response(orjson.dumps(body), 200, ctx)


async def _delete_options(request: web.Request) -> tuple[DeleteOptions, list[str]]:
    body: dict[str, Any] = {}
    raw = await request.read()
    if raw:
        decoded = decode_body(raw, request.headers.get("Content-Type", ""))
        if decoded is not None and not isinstance(decoded, dict):
            raise errors.BadRequest("DeleteOptions must be an object")
        body = decoded or {}
    return delete_options_from(body, request.query)


def delete_options_from(body: dict[str, Any], q: Any = None) -> tuple[DeleteOptions, list[str]]:
    """DeleteOptions from a body (and query parameters, which win), plus its dryRun list."""
    q = q or {}
    grace = body.get("gracePeriodSeconds")
    qgrace = query_int(q, "gracePeriodSeconds")
    if qgrace is not None:
        grace = qgrace
    policy = q.get("propagationPolicy") or body.get("propagationPolicy")
    if policy and policy not in ("Orphan", "Background", "Foreground"):
        raise errors.BadRequest(
            f'propagationPolicy: Unsupported value: "{policy}": supported values: '
            '"Foreground", "Background", "Orphan"'
        )
    if body.get("orphanDependents") is True and not policy:
        policy = "Orphan"
    if grace is not None and not isinstance(grace, int):
        raise errors.BadRequest("gracePeriodSeconds must be an integer")
    if grace is not None and grace < 0:
        grace = 1  # Kubernetes treats a negative grace period as the shortest graceful one
    dry = body.get("dryRun") or []
    return DeleteOptions(
        grace_period_seconds=grace, propagation_policy=policy, preconditions=body.get("preconditions")
    ), list(dry)
