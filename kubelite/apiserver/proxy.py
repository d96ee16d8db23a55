"""pods/proxy, services/proxy and nodes/proxy: HTTP requests carried on to a pod, a service's
endpoint or a node's kubelet.

```
/api/v1/namespaces/{ns}/pods/[scheme:]{name}[:port]/proxy/{path}      → the pod's IP and port
                                                                          (default: its first
                                                                          declared port)
/api/v1/namespaces/{ns}/services/[scheme:]{name}[:port]/proxy/{path}  → a ready endpoint of the
                                                                          service port (by name
                                                                          or number)
/api/v1/nodes/[scheme:]{name}[:port]/proxy/{path}                     → the kubelet (https, the
                                                                          API server's client
                                                                          certificate)
```

Any method; the query, body and headers go through (less hop-by-hop headers and the
client's credentials), the answer comes back as it is (redirects included, not followed).
Upgrade requests are relayed as upgrades. Kubernetes also rewrites links in proxied HTML;
kubelite does not.
"""

from __future__ import annotations

import random
import ssl

import aiohttp
from aiohttp import web

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.apiserver.kubeletclient import kubelet_client
from kubelite.apiserver.podlocation import get_object
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.request import RequestInfo
from kubelite.httpstream import upgrade

_DROP_REQUEST = upgrade.HOP_HEADERS | {"authorization", "connection", "upgrade", "impersonate-user"}
_DROP_RESPONSE = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "server",
    "date",
}


def split_scheme_name_port(value: str) -> tuple[str, str, str]:
    """`name`, `name:port` or `scheme:name:port` (Kubernetes' SplitSchemeNamePort)."""
    parts = value.split(":")
    if len(parts) == 1:
        return "", parts[0], ""
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3 and parts[0] in ("http", "https", ""):
        return parts[0], parts[1], parts[2]
    raise errors.BadRequest(f'invalid request "{value}"')


async def _pod_location(registry: Registry, info: RequestInfo) -> tuple[str, str]:
    scheme, name, port = split_scheme_name_port(info.name)
    pod = await get_object(registry, "pods", info.namespace, name)
    if not port:
        for c in (pod.get("spec") or {}).get("containers") or []:
            if c.get("ports"):
                port = str(c["ports"][0]["containerPort"])
                break
    ip = (pod.get("status") or {}).get("podIP", "")
    if not ip or ip.startswith("127.") or ip == "::1":
        raise errors.BadRequest("address not allowed")
    host = f"[{ip}]" if ":" in ip else ip
    return scheme or "http", f"{host}:{port}" if port else host


def _endpoint(endpoints: Object, port: str) -> tuple[str, int] | None:
    candidates = []
    for subset in endpoints.get("subsets") or []:
        ports = subset.get("ports") or []
        match = [p for p in ports if not port or p.get("name") == port or str(p.get("port")) == port]
        if not match and len(ports) == 1 and not port:
            match = ports
        for address in subset.get("addresses") or []:
            candidates += [(address["ip"], int(p["port"])) for p in match[:1]]
    return random.choice(candidates) if candidates else None


async def _service_location(registry: Registry, info: RequestInfo) -> tuple[str, str]:
    scheme, name, port = split_scheme_name_port(info.name)
    service = await get_object(registry, "services", info.namespace, name)
    svc_ports = (service.get("spec") or {}).get("ports") or []
    wanted = next((p for p in svc_ports if port in (p.get("name", ""), str(p.get("port")))), None)
    target = str(wanted.get("name") or "") if wanted else port
    try:
        endpoints = await get_object(registry, "endpoints", info.namespace, name)
    except errors.NotFound:
        endpoints = {}
    found = _endpoint(endpoints, target)
    if found is None:
        raise errors.ServiceUnavailable(f'no endpoints available for service "{name}"')
    ip, target_port = found
    host = f"[{ip}]" if ":" in ip else ip
    return scheme or "http", f"{host}:{target_port}"


async def _node_location(registry: Registry, request: web.Request, info: RequestInfo) -> tuple[str, str]:
    scheme, name, port = split_scheme_name_port(info.name)
    node = await get_object(registry, "nodes", "", name)
    base = kubelet_client(request).base_url(node)
    if port:
        base = base.rsplit(":", 1)[0] + f":{port}"
    return scheme or "https", base.split("://", 1)[1]


async def proxy(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    plural = info.rt.plural
    if plural == "pods":
        scheme, hostport = await _pod_location(registry, info)
    elif plural == "services":
        scheme, hostport = await _service_location(registry, info)
    else:
        scheme, hostport = await _node_location(registry, request, info)
    url = f"{scheme}://{hostport}/{info.subpath}"
    if request.query_string:
        url += f"?{request.query_string}"
    ssl_ctx = (
        kubelet_client(request).ssl_context(skip_verify=plural != "nodes") if scheme == "https" else None
    )
    if upgrade.is_upgrade(request):
        try:
            return await upgrade.relay(request, url, ssl_context=ssl_ctx, drop=frozenset({"authorization"}))
        except OSError as err:
            raise errors.ServiceUnavailable(f"error trying to reach service: {err}") from None
    return await _forward(request, url, ssl_ctx)


async def _forward(request: web.Request, url: str, ssl_ctx: ssl.SSLContext | None) -> web.StreamResponse:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST}
    body = await request.read() if request.body_exists else None
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as http,
            http.request(
                request.method, url, headers=headers, data=body, ssl=ssl_ctx or False, allow_redirects=False
            ) as upstream,
        ):
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for k, v in upstream.headers.items():
                if k.lower() not in _DROP_RESPONSE:
                    response.headers.add(k, v)
            if upstream.headers.get("Content-Encoding"):
                response.headers["Content-Encoding"] = upstream.headers["Content-Encoding"]
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response
    except aiohttp.ClientConnectionError as err:
        raise errors.ServiceUnavailable(f"error trying to reach service: {err}") from None
