"""Writing a REST response: objects in their served version, Tables, Success Statuses, warnings.

Handlers build their answers here, so every verb answers the same way: JSON bodies, the
`Warning: 299 - "..."` headers a request collected (fieldValidation=Warn, deprecations), and
internal objects converted to the version the endpoint serves (`conversion.py`). Errors are
not written here: handlers raise `kubelite.api.errors` and the application's error
middleware turns them into Status bodies.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import orjson
from aiohttp import web

from kubelite.api.resources import ResourceType
from kubelite.apiserver import conversion
from kubelite.apiserver.printers import table_for
from kubelite.apiserver.registry import RequestContext
from kubelite.apiserver.request import JSON, table_include_object
from kubelite.apiserver.watchcache import CachedObject


def json_response(body: bytes, status: int = 200, ctx: RequestContext | None = None) -> web.Response:
    resp = web.Response(body=body, status=status, content_type=JSON)
    if ctx is not None:
        for w in ctx.warnings:
            if (header := warning_header(w)) is not None:
                resp.headers.add("Warning", header)
    return resp


def warning_header(text: str) -> str | None:
    """`299 - "text"` with the text as an HTTP quoted-string, as Kubernetes sends warnings; None
    for a text with control characters, which Kubernetes drops rather than sends (a warning
    may quote what a client sent, and nothing a client sends is echoed into a header raw)."""
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        return None
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{quoted}"'


def success_status(
    code: int | None = None, *, details: dict[str, Any] | None = None, ctx: RequestContext | None = None
) -> web.Response:
    """A `Status` of `Success`: what binding, eviction (201) and deletion of an object whose kind
    is not returned on delete (200, with details naming it) answer."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details is not None:
        body["details"] = details
    if code is not None:
        body["code"] = code
    return json_response(orjson.dumps(body), code or 200, ctx)


def object_response(
    rt: ResourceType, obj: dict[str, Any], status: int = 200, ctx: RequestContext | None = None
) -> web.Response:
    """An object as the endpoint serves it."""
    if conversion.needed(rt):
        obj = conversion.to_external(rt, obj)
    return json_response(orjson.dumps(obj), status, ctx)


def external_json(rt: ResourceType, co: CachedObject) -> bytes:
    """A cached object's JSON in the served version (the cache's shared encoding when no
    conversion is needed)."""
    if conversion.needed(rt):
        return orjson.dumps(conversion.to_external(rt, co.obj))
    return co.json()


def table_json(
    request: web.Request,
    rt: ResourceType,
    objects: list[dict[str, Any]],
    resource_version: str,
    continue_token: str = "",
    remaining: int | None = None,
) -> bytes:
    """A meta.k8s.io/v1 Table of `objects` (server-side printing, `kubectl get`)."""
    table = table_for(rt, objects, include_object=table_include_object(request.query))
    md: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        md["continue"] = continue_token
    if remaining is not None:
        md["remainingItemCount"] = remaining
    table["metadata"] = md
    return orjson.dumps(table)
