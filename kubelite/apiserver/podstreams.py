"""pods/exec, pods/attach and pods/portforward: interactive sessions carried to the kubelet.

```
client                          API server                            kubelet
SPDY/3.1 (kubectl ≤ 1.29)   ──► relayed as it came (upgrade-aware proxy) ──► SPDY
WebSocket v5/v4 exec, attach ──► the session terminated here, re-opened ──► SPDY
                                 as SPDY (`remotecommand_spdy`)
WebSocket SPDY/3.1+portforward.k8s.io (kubectl ≥ 1.31)
                             ──► every message's bytes relayed as the  ──► SPDY
                                 SPDY connection they carry (a tunnel)
WebSocket port-forward channels (the Python clients)
                             ──► each port a SPDY stream pair          ──► SPDY
```

This is Kubernetes 1.32's arrangement for kubectl (its API server translates WebSocket v5
and unwraps the tunnel, and relays SPDY), extended to every WebSocket client so that the
kubelet and the runtime behind it only ever see SPDY, whose stdin half-close and
port-forward every runtime serves. The kubelet is reached with the API server's own client
certificate (`kubeletclient`).

Checks before any upgrade answer as Statuses: the pod exists, the container is valid, the
pod has a node. After the WebSocket upgrade, a kubelet that refuses the session is reported
on the status channel (`Internal error occurred: unable to upgrade connection: …`), as
Kubernetes' translator reports it.
"""

from __future__ import annotations

from aiohttp import web

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.apiserver.kubeletclient import kubelet_client, kubelet_path, with_query
from kubelite.apiserver.podlocation import get_object, kubelet_url, validate_container
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.request import RequestInfo, query_bool
from kubelite.cri import portforward as pf
from kubelite.cri import portforward_spdy as pf_spdy
from kubelite.cri import remotecommand as rc
from kubelite.cri import remotecommand_spdy as rc_spdy
from kubelite.httpstream import upgrade
from kubelite.httpstream.transport import WebSocketBytes, pipe

TUNNEL_PREFIX = "SPDY/3.1+"
_FLAG_PARAMS = (("stdin", "input"), ("stdout", "output"), ("stderr", "error"), ("tty", "tty"))


def _stream_options(request: web.Request) -> rc_spdy.StreamOptions:
    q = request.query
    stdin, stdout, stderr, tty = (query_bool(q, name) for name, _ in _FLAG_PARAMS)
    return rc_spdy.StreamOptions(stdin, stdout, stderr and not tty, tty)


def _kubelet_params(request: web.Request) -> list[tuple[str, str]]:
    """PodExecOptions/PodAttachOptions as the kubelet's query (input=1, output=1, ...)."""
    q = request.query
    return [(kubelet, "1") for name, kubelet in _FLAG_PARAMS if query_bool(q, name)]


async def _pod_and_base(registry: Registry, request: web.Request, info: RequestInfo) -> tuple[Object, str]:
    pod = await get_object(registry, "pods", info.namespace, info.name)
    return pod, await kubelet_url(registry, request, pod)


async def pod_exec(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    pod, base = await _pod_and_base(registry, request, info)
    container = validate_container(pod, request.query.get("container", ""))
    params = _kubelet_params(request) + [("command", c) for c in request.query.getall("command", [])]
    url = with_query(base + kubelet_path("exec", info.namespace, info.name, container), params)
    return await _remote_command(request, url)


async def pod_attach(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    pod, base = await _pod_and_base(registry, request, info)
    container = validate_container(pod, request.query.get("container", ""))
    url = with_query(
        base + kubelet_path("attach", info.namespace, info.name, container), _kubelet_params(request)
    )
    return await _remote_command(request, url)


async def _relay(request: web.Request, url: str) -> web.StreamResponse:
    try:
        return await upgrade.relay(
            request, url, ssl_context=kubelet_client(request).ssl_context(), drop=_AUTH
        )
    except OSError as err:
        raise errors.InternalError(f"Internal error occurred: error dialing backend: {err}") from None


_AUTH = frozenset({"authorization", "impersonate-user", "impersonate-group"})


async def _remote_command(request: web.Request, url: str) -> web.StreamResponse:
    if upgrade.is_spdy_upgrade(request):
        return await _relay(request, url)
    if not upgrade.is_websocket(request):
        raise errors.BadRequest("Upgrade request required")
    options = _stream_options(request)
    if not (options.stdin or options.stdout or options.stderr):
        raise errors.BadRequest("you must specify at least 1 of stdin, stdout, stderr")
    ws = web.WebSocketResponse(protocols=rc.SERVED_PROTOCOLS, max_msg_size=0, heartbeat=None)
    await ws.prepare(request)
    session = rc_spdy.SpdyRemoteCommand(url, options, ssl_context=kubelet_client(request).ssl_context())
    try:
        await session.__aenter__()
    except (upgrade.UpgradeFailed, OSError) as err:
        await rc.Framing.of(ws.ws_protocol or "").send_status(ws, rc.error_status(_upgrade_error(err)))
        await ws.close()
        return ws
    try:
        first = rc.first_output_channel(stdout=options.stdout, stderr=options.stderr)
        await rc.serve_websocket(ws, session, first_channel=first)
    finally:
        await session.close()
    return ws


def _upgrade_error(err: Exception) -> str:
    """What client-go says of a refused SPDY upgrade."""
    if isinstance(err, upgrade.UpgradeFailed):
        return f"unable to upgrade connection: {err.response.body.decode(errors='replace').strip()}"
    return f"error dialing backend: {err}"


# ---- port-forward


def _ports(request: web.Request) -> list[int]:
    raw = [p for v in request.query.getall("ports", []) for p in v.split(",") if p]
    try:
        ports = [int(p) for p in raw]
    except ValueError:
        raise errors.BadRequest(f"unable to parse {raw!r} as ports") from None
    for p in ports:
        if not 0 < p < 65536:
            raise errors.BadRequest(f"port {p} must be in the range 1-65535")
    return ports


async def pod_portforward(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    pod, base = await _pod_and_base(registry, request, info)
    ports = _ports(request)
    params = [("port", ",".join(map(str, ports)))] if ports else []
    url = with_query(base + kubelet_path("portForward", info.namespace, info.name), params)
    if upgrade.is_spdy_upgrade(request):
        return await _relay(request, url)
    if not upgrade.is_websocket(request):
        raise errors.BadRequest("Upgrade request required")
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    tunnelled = [p[len(TUNNEL_PREFIX) :] for p in offered if p.startswith(TUNNEL_PREFIX)]
    if tunnelled:
        return await _tunnel(request, url, tunnelled)
    if not ports:
        raise errors.BadRequest('query parameter "ports" is required')
    return await _channels(request, url, ports, pod["metadata"]["name"])


async def _tunnel(request: web.Request, url: str, protocols: list[str]) -> web.StreamResponse:
    """kubectl ≥ 1.31: the WebSocket carries SPDY; the kubelet gets that SPDY connection."""
    headers = [("Connection", "Upgrade"), ("Upgrade", upgrade.SPDY_31)]
    headers += [(upgrade.PROTOCOL_HEADER, p) for p in protocols]
    try:
        response, backend = await upgrade.dial(
            url, headers, ssl_context=kubelet_client(request).ssl_context()
        )
    except upgrade.UpgradeFailed as err:  # the kubelet's refusal goes back as it was answered
        r = err.response
        return web.Response(status=r.status, body=r.body, content_type="text/plain")
    except OSError as err:
        raise errors.InternalError(f"Internal error occurred: error dialing backend: {err}") from None
    chosen = response.header(upgrade.PROTOCOL_HEADER)
    ws = web.WebSocketResponse(protocols=(TUNNEL_PREFIX + chosen,) if chosen else (), max_msg_size=0)
    try:
        await ws.prepare(request)
    except BaseException:
        await backend.close()
        raise
    await pipe(WebSocketBytes(ws), backend)
    return ws


async def _channels(request: web.Request, url: str, ports: list[int], pod: str) -> web.StreamResponse:
    """The Python clients' channel protocol: each port a stream pair of one SPDY connection."""
    ws = web.WebSocketResponse(protocols=pf.PROTOCOLS, max_msg_size=0)
    await ws.prepare(request)
    try:
        async with pf_spdy.SpdyPortForward(url, ssl_context=kubelet_client(request).ssl_context()) as forward:
            await pf.serve_websocket(ws, ports, forward.open, pod=pod)
    except (upgrade.UpgradeFailed, OSError) as err:
        for i, port in enumerate(ports):
            await ws.send_bytes(bytes([2 * i + 1]) + pf.port_prefix(port) + _upgrade_error(err).encode())
        await ws.close()
    return ws
