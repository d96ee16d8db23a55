"""The `scale` subresource: a Scale (autoscaling/v1) view of a workload's replicas.

Built-in workloads keep them at `spec.replicas`, `status.replicas` and `spec.selector`; a
custom resource at the JSON paths its CRD names (`specReplicasPath`, `statusReplicasPath`,
`labelSelectorPath`, the last one holding a selector already in string form).

GET and PUT are served here; PATCH (json, merge and apply patches on the Scale) by
`patchhandler.py`, which uses `to_scale`, `replicas_from` and `parent_config`.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from kubelite.api import errors
from kubelite.api.resources import ResourceType
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.request import (
    RequestInfo,
    check_type,
    decode_object,
    read_body,
    request_context,
    require_verb,
)
from kubelite.apiserver.responses import json_response


async def get_scale(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    require_verb(info.rt, "get")
    co = await registry.get(info.rt, info.namespace, info.name, request.query.get("resourceVersion", ""))
    return json_response(orjson.dumps(to_scale(info.rt, co.obj)))


async def update_scale(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    require_verb(info.rt, "update")
    ctx = request_context(request)
    body = decode_object(await read_body(request), request.headers.get("Content-Type", ""))
    check_type(info.rt, body, kind="Scale", api_version="autoscaling/v1")
    replicas = replicas_from(body)

    def mutate(cur: dict[str, Any]) -> dict[str, Any]:
        set_spec_replicas(info.rt, cur, replicas)
        return cur

    pinned = body["metadata"].get("resourceVersion", "")
    updated = await registry.update(
        info.rt, info.namespace, info.name, mutate, ctx, subresource="scale", pinned_rv=pinned
    )
    return json_response(orjson.dumps(to_scale(info.rt, updated)), 200, ctx)


def _path(text: str) -> list[str]:
    return [p for p in text.strip().lstrip(".").split(".") if p]


def _get(obj: Any, path: str) -> Any:
    for key in _path(path):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def set_spec_replicas(rt: ResourceType, obj: dict[str, Any], replicas: int) -> None:
    """Write a Scale's spec.replicas into the object it scales."""
    keys = ["spec", "replicas"]
    if rt.custom is not None and rt.custom.scale is not None:
        keys = _path(rt.custom.scale.get("specReplicasPath", ".spec.replicas"))
    target = obj
    for key in keys[:-1]:
        nxt = target.get(key)
        if not isinstance(nxt, dict):
            nxt = target[key] = {}
        target = nxt
    target[keys[-1]] = replicas


def _custom(rt: ResourceType) -> bool:
    return rt.custom is not None and rt.custom.scale is not None


def _custom_scale(rt: ResourceType, obj: dict[str, Any]) -> tuple[Any, Any, str]:
    assert rt.custom is not None and rt.custom.scale is not None
    paths = rt.custom.scale
    replicas = _get(obj, paths.get("specReplicasPath", ""))
    current = _get(obj, paths.get("statusReplicasPath", ""))
    selector = _get(obj, paths["labelSelectorPath"]) if paths.get("labelSelectorPath") else ""
    return replicas or 0, current or 0, selector if isinstance(selector, str) else ""


def to_scale(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    from kubelite.api.selectors import format_label_selector

    md = obj["metadata"]
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    selector = spec.get("selector")
    if _custom(rt):
        replicas, current, text = _custom_scale(rt, obj)
        spec, status = {"replicas": replicas}, {"replicas": current}
    elif rt.kind == "ReplicationController":
        # An RC's selector is a plain map.
        text = ",".join(f"{k}={v}" for k, v in sorted((selector or {}).items()))
    else:
        text = format_label_selector(selector or {})
    scale_md = {
        k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in md
    }
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_md,
        "spec": {"replicas": spec.get("replicas", 0)},
        "status": {"replicas": status.get("replicas", 0), "selector": text},
    }


def replicas_from(scale: dict[str, Any]) -> int:
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise errors.BadRequest("spec.replicas must be an integer")
    if replicas < 0:
        raise errors.invalid_object(
            "Scale",
            "autoscaling",
            (scale.get("metadata") or {}).get("name", ""),
            [errors.invalid("spec.replicas", replicas, "must be greater than or equal to 0")],
        )
    return replicas


def parent_config(rt: ResourceType, config: dict[str, Any]) -> dict[str, Any]:
    """An apply configuration sent to `/scale` (a Scale), as the same intent for the parent
    object: the manager applies `spec.replicas` of the workload, recorded on the workload
    with subresource `scale` (as Kubernetes records it)."""
    api_version, kind = config.get("apiVersion"), config.get("kind")
    if (api_version, kind) != ("autoscaling/v1", "Scale"):
        raise errors.BadRequest(
            f"the API version in the data ({api_version}) and the kind "
            f"({kind}) do not match autoscaling/v1 Scale"
        )
    md = config.get("metadata") or {}
    out: dict[str, Any] = {
        "apiVersion": rt.api_version,
        "kind": rt.kind,
        "metadata": {k: md[k] for k in ("name", "namespace", "resourceVersion") if k in md},
    }
    if "replicas" in (config.get("spec") or {}):
        out["spec"] = {"replicas": replicas_from(config)}
    return out
