"""PATCH requests: the four patch types Kubernetes accepts, on objects and subresources.

    application/json-patch+json             RFC 6902 operations        } patch.py
    application/merge-patch+json            RFC 7386                    } (Update in
    application/strategic-merge-patch+json  merge keys and directives   }  managedFields)
    application/apply-patch+yaml            server-side apply           apply.py

Every type may target `/status`; json, merge and apply patches may target `/scale` (an
apply there is the manager applying the workload's `spec.replicas`). The patched object
goes through fieldValidation and then the registry's update path like a PUT. An apply
patch on a missing object creates it (201).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from kubelite.api import errors
from kubelite.api.resources import ResourceType
from kubelite.apiserver import apply as ssa
from kubelite.apiserver import conversion, fieldvalidation, scale
from kubelite.apiserver import patch as patching
from kubelite.apiserver.handlers import check_name, check_namespace
from kubelite.apiserver.registry import Registry, RequestContext
from kubelite.apiserver.request import (
    RequestInfo,
    check_type,
    decode_body,
    media_type,
    query_bool,
    read_body,
    request_context,
    require_verb,
)
from kubelite.apiserver.responses import json_response, object_response

ACCEPTED = (*patching.PATCH_TYPES, patching.APPLY_PATCH)


async def patch_object(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    rt = info.rt
    require_verb(rt, "patch")
    ctx = request_context(request)
    ptype = media_type(request.headers.get("Content-Type", ""))
    if ptype not in ACCEPTED:
        raise errors.UnsupportedMediaType(
            f"the body of the request was in an unknown format - "
            f"accepted media types include: {', '.join(ACCEPTED)}"
        )
    if rt.custom is not None and ptype == patching.STRATEGIC_MERGE_PATCH:
        # Custom resources have no patch strategies to merge by (as in Kubernetes).
        accepted = [t for t in ACCEPTED if t != patching.STRATEGIC_MERGE_PATCH]
        raise errors.UnsupportedMediaType(
            "the body of the request was in an unknown format - accepted media types include: "
            + ", ".join(accepted)
        )
    raw = await read_body(request)
    if ptype == patching.APPLY_PATCH:
        return await _apply(registry, request, info, ctx, raw)
    dups = []
    if ctx.field_validation != fieldvalidation.IGNORE and ptype != patching.JSON_PATCH:
        dups = fieldvalidation.duplicate_fields(raw, "application/json")
    patch_doc = decode_body(raw, ptype)
    pinned = patching.pinned_resource_version(ptype, patch_doc)

    if info.subresource == "scale":

        def mutate_scale(cur: dict[str, Any]) -> dict[str, Any]:
            current_scale = scale.to_scale(rt, cur)
            patched = patching.apply_patch(ptype, current_scale, patch_doc, None)
            scale.set_spec_replicas(rt, cur, scale.replicas_from(patched))
            return cur

        updated = await registry.update(
            rt, info.namespace, info.name, mutate_scale, ctx, subresource="scale", pinned_rv=pinned
        )
        return json_response(orjson.dumps(scale.to_scale(rt, updated)), 200, ctx)

    def mutate(cur: dict[str, Any]) -> dict[str, Any]:
        external = conversion.to_external(rt, cur) if conversion.needed(rt) else cur
        patched = patching.apply_patch(ptype, external, patch_doc, rt)
        if not isinstance(patched, dict):
            raise errors.BadRequest("the patch must produce an object")
        check_type(rt, patched)
        patched.setdefault("metadata", {}).setdefault("name", info.name)
        fieldvalidation.check(rt, patched, ctx.field_validation, ctx.warnings, duplicates=dups)
        return conversion.to_internal(rt, patched) if conversion.needed(rt) else patched

    updated = await registry.update(
        rt, info.namespace, info.name, mutate, ctx, subresource=info.subresource, pinned_rv=pinned
    )
    return object_response(rt, updated, 200, ctx)


def _check_apply_fields(
    rt: ResourceType, info: RequestInfo, config: dict[str, Any], raw: bytes, ctx: RequestContext
) -> None:
    """An apply body is typed by the kind's schema whatever fieldValidation says (a field the
    schema lacks fails the request, as Kubernetes' server-side apply does); repeated YAML
    keys are then refused or warned about as fieldValidation says."""
    unknown = fieldvalidation.unknown_fields(rt, config) if not info.subresource else []
    if unknown:
        where = f"{info.namespace}/{info.name}; {rt.group_version}, Kind={rt.kind}"
        problems = [f".{u}: field not declared in schema" for u in unknown]
        detail = problems[0] if len(problems) == 1 else "\n".join(["errors:", *("  " + p for p in problems)])
        raise errors.Unknown(f"failed to create typed patch object ({where}): {detail}")
    if ctx.field_validation == fieldvalidation.IGNORE:
        return
    duplicates = fieldvalidation.yaml_duplicates(raw)
    if not duplicates:
        return
    text = "error converting YAML to JSON: yaml: unmarshal errors:\n  " + "\n  ".join(duplicates)
    if ctx.field_validation == fieldvalidation.STRICT:
        raise errors.BadRequest(f"error strict decoding YAML: {text}")
    ctx.warnings.append(text)


async def _apply(
    registry: Registry,
    request: web.Request,
    info: RequestInfo,
    ctx: RequestContext,
    raw: bytes,
) -> web.StreamResponse:
    rt = info.rt
    if info.subresource not in ("", "status", "scale"):
        raise errors.UnsupportedMediaType(
            f"apply patches are not supported on {rt.plural}/{info.subresource}"
        )
    config = ssa.check_request(decode_body(raw, patching.APPLY_PATCH), request.query.get("fieldManager", ""))
    force = query_bool(request.query, "force")
    to_scale = info.subresource == "scale"
    if to_scale:
        config = scale.parent_config(rt, config)
    else:
        check_type(rt, config)
    md = config["metadata"]
    check_name(info, config)
    check_namespace(info, config)
    md["name"] = info.name
    _check_apply_fields(rt, info, config, raw, ctx)
    pinned = md.get("resourceVersion") if isinstance(md.get("resourceVersion"), str) else ""
    ctx.operation = "Apply"

    def mutate(cur: dict[str, Any]) -> dict[str, Any]:
        external = conversion.to_external(rt, cur) if conversion.needed(rt) else cur
        merged = ssa.apply(
            rt, external, config, manager=ctx.field_manager, force=force, subresource=info.subresource
        )
        return conversion.to_internal(rt, merged) if conversion.needed(rt) else merged

    try:
        updated = await registry.update(
            rt, info.namespace, info.name, mutate, ctx, subresource=info.subresource, pinned_rv=pinned or ""
        )
        if to_scale:
            return json_response(orjson.dumps(scale.to_scale(rt, updated)), 200, ctx)
        return object_response(rt, updated, 200, ctx)
    except errors.NotFound:
        if info.subresource or pinned:
            raise
    new = ssa.apply(rt, None, config, manager=ctx.field_manager, force=force)
    if conversion.needed(rt):
        new = conversion.to_internal(rt, new)
    created = await registry.create(rt, info.namespace, new, ctx)
    return object_response(rt, created, 201, ctx)
