"""`componentstatuses`: the deprecated health view `kubectl get cs` prints.

Computed on each request, never stored: the store's health (`etcd-0`, as Kubernetes names
it, whatever the backend) and the health endpoints of the scheduler and the controller
manager on their standard local ports, probed as kube-apiserver probes them.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from kubelite.api import errors
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.request import RequestInfo, query_bool, require_verb, wants_table
from kubelite.apiserver.responses import json_response, table_json

# name -> health URL (the Kubernetes defaults for the secure ports)
COMPONENTS = {
    "scheduler": "https://127.0.0.1:10259/healthz",
    "controller-manager": "https://127.0.0.1:10257/healthz",
}


async def _probe(url: str) -> tuple[bool, str, str]:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as s:
            async with s.get(url, ssl=ctx) as r:
                body = (await r.text()).strip()
                return r.status == 200, body if r.status == 200 else "", "" if r.status == 200 else body
    except aiohttp.ClientConnectorError as err:
        reason = (
            "connection refused"
            if isinstance(err.os_error, ConnectionRefusedError)
            else (err.os_error.strerror or str(err.os_error)).lower()
        )
        return False, "", f'Get "{url}": dial tcp {err.host}:{err.port}: connect: {reason}'
    except (TimeoutError, aiohttp.ClientError, OSError) as err:
        return False, "", f'Get "{url}": {err or type(err).__name__}'


def _item(name: str, healthy: bool, message: str, error: str) -> dict[str, Any]:
    cond: dict[str, Any] = {"type": "Healthy", "status": "True" if healthy else "False"}
    if message:
        cond["message"] = message
    if error:
        cond["error"] = error
    return {"kind": "ComponentStatus", "apiVersion": "v1", "metadata": {"name": name}, "conditions": [cond]}


async def component_statuses(store_ok: Callable[[], Awaitable[bool]]) -> list[dict[str, Any]]:
    names = list(COMPONENTS)
    probes = await asyncio.gather(*(_probe(COMPONENTS[n]) for n in names))
    items = [_item(n, *p) for n, p in zip(names, probes, strict=True)]
    ok = await store_ok()
    items.append(_item("etcd-0", ok, "ok" if ok else "", "" if ok else "the store is not reachable"))
    return items


async def component_status(name: str, store_ok: Callable[[], Awaitable[bool]]) -> dict[str, Any]:
    for item in await component_statuses(store_ok):
        if item["metadata"]["name"] == name:
            return item
    raise errors.not_found("componentstatuses", "", name)


async def get_component_status(
    registry: Registry, request: web.Request, info: RequestInfo
) -> web.StreamResponse:
    require_verb(info.rt, "get")
    return _respond(registry, request, info, [await component_status(info.name, _store_ok(registry))])


async def list_component_statuses(
    registry: Registry, request: web.Request, info: RequestInfo
) -> web.StreamResponse:
    require_verb(info.rt, "watch" if query_bool(request.query, "watch") else "list")
    return _respond(registry, request, info, await component_statuses(_store_ok(registry)))


def _respond(
    registry: Registry, request: web.Request, info: RequestInfo, items: list[dict[str, Any]]
) -> web.Response:
    rv = str(registry.cache.revision)
    if wants_table(request.headers.get("Accept", "")):
        return json_response(table_json(request, info.rt, items, rv))
    if info.name:
        return json_response(orjson.dumps(items[0]))
    body = {"kind": "ComponentStatusList", "apiVersion": "v1", "metadata": {"resourceVersion": rv}}
    return json_response(orjson.dumps({**body, "items": items}))


def _store_ok(registry: Registry) -> Callable[[], Awaitable[bool]]:
    async def ok() -> bool:
        try:
            await asyncio.wait_for(registry.store.current_revision(), 2.0)
            return True
        except Exception:  # any failure of the store means unhealthy here
            return False

    return ok
