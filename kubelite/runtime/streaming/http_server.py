"""The streaming HTTP server: one-time URLs for exec, attach and port-forward sessions.

`StreamingServer` listens on a TCP address (loopback by default: only the kubelet on
this node should reach it) and serves three routes, each taking a token that
`get_exec`/`get_attach`/`get_port_forward` issued for one CRI request:

```
GET|POST /exec/<token>          SPDY/3.1 (v5 to v1 of channel.k8s.io), or WebSocket
GET|POST /attach/<token>        v5.channel.k8s.io / v4.channel.k8s.io
GET|POST /portforward/<token>   SPDY/3.1 (portforward.k8s.io), or WebSocket
                                (v4.channel.k8s.io / portforward.k8s.io / none) with the
                                ports in ?port=P (repeatable) or ?ports=P1,P2, else the request's
```

SPDY is what a Kubernetes kubelet relays to a runtime (kubectl's own protocol, passed through
the API server and the kubelet unchanged); WebSocket is what the Python clients speak. An
unknown, used or expired token is a 404 before any upgrade. Sessions run until their command
ends or their client leaves; stopping the server cancels them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from aiohttp import web

from kubelite.cri import api_pb2 as pb
from kubelite.cri import portforward as pf
from kubelite.cri import portforward_spdy as pf_spdy
from kubelite.cri import remotecommand as rc
from kubelite.cri import remotecommand_spdy as rc_spdy
from kubelite.cri.errors import CRIError
from kubelite.httpstream import upgrade
from kubelite.httpstream.spdy import SpdyConnection
from kubelite.runtime.streaming import portforward
from kubelite.runtime.streaming.tokens import RequestCache
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.runtime.streaming")

StreamRequest = pb.ExecRequest | pb.AttachRequest | pb.PortForwardRequest


class StreamingBackend(Protocol):
    """What the server needs from the runtime. Each call re-checks the container or pod,
    since it may have gone away between the CRI call and the session."""

    async def open_exec(self, request: pb.ExecRequest, width: int, height: int) -> rc.Session: ...

    async def open_attach(self, request: pb.AttachRequest) -> rc.Session: ...

    def pod_netns(self, pod_sandbox_id: str) -> Path | None:
        """The pod's network namespace file; None for a hostNetwork pod."""
        ...


@dataclass(slots=True)
class StreamingOptions:
    address: str = "127.0.0.1:0"  # host:port; port 0 picks a free one
    token_ttl: float = 60.0


class StreamingServer:
    def __init__(
        self, options: StreamingOptions, backend: StreamingBackend, clock: Clock | None = None
    ) -> None:
        self.options = options
        self._backend = backend
        self._cache: RequestCache[StreamRequest] = RequestCache(ttl=options.token_ttl, clock=clock)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = web.Application()
        for method in ("GET", "POST"):
            app.router.add_route(method, "/exec/{token}", self._exec)
            app.router.add_route(method, "/attach/{token}", self._attach)
            app.router.add_route(method, "/portforward/{token}", self._port_forward)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        host, _, port = self.options.address.rpartition(":")
        site = web.TCPSite(self._runner, host.strip("[]") or "127.0.0.1", int(port or 0))
        await site.start()
        bound = self._runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self.base_url = f"http://{shown}:{bound[1]}"
        log.info("streaming server listening", extra={"url": self.base_url})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _url(self, kind: str, request: StreamRequest) -> str:
        if not self.base_url:
            raise CRIError("the streaming server is not running")
        return f"{self.base_url}/{kind}/{self._cache.insert(request)}"

    def get_exec(self, request: pb.ExecRequest) -> str:
        return self._url("exec", request)

    def get_attach(self, request: pb.AttachRequest) -> str:
        return self._url("attach", request)

    def get_port_forward(self, request: pb.PortForwardRequest) -> str:
        return self._url("portforward", request)

    def _take(self, request: web.Request, kind: type[StreamRequest]) -> StreamRequest:
        found = self._cache.consume(request.match_info["token"])
        if not isinstance(found, kind):
            raise web.HTTPNotFound(text="unknown or expired streaming token\n")
        return found

    async def _stdio(
        self, request: web.Request, session: rc.Session, options: rc_spdy.StreamOptions
    ) -> web.StreamResponse:
        try:
            if upgrade.is_spdy_upgrade(request):
                protocol, stream = await upgrade.accept_spdy(request, rc_spdy.PROTOCOLS)
                async with SpdyConnection(stream, server=True) as conn:
                    await rc_spdy.serve_spdy(conn, protocol, options, session)
                return stream.response
            ws = web.WebSocketResponse(protocols=rc.SERVED_PROTOCOLS, max_msg_size=0)
            await ws.prepare(request)
        except BaseException:
            await session.close()
            raise
        first = rc.first_output_channel(stdout=options.stdout, stderr=options.stderr)
        await rc.serve_websocket(ws, session, first_channel=first)
        return ws

    async def _exec(self, request: web.Request) -> web.StreamResponse:
        req = self._take(request, pb.ExecRequest)
        assert isinstance(req, pb.ExecRequest)
        try:
            session = await self._backend.open_exec(req, 80, 24)
        except CRIError as err:
            raise web.HTTPNotFound(text=f"{err.message}\n") from None
        options = rc_spdy.StreamOptions(req.stdin, req.stdout, req.stderr and not req.tty, req.tty)
        return await self._stdio(request, session, options)

    async def _attach(self, request: web.Request) -> web.StreamResponse:
        req = self._take(request, pb.AttachRequest)
        assert isinstance(req, pb.AttachRequest)
        try:
            session = await self._backend.open_attach(req)
        except (CRIError, OSError) as err:
            raise web.HTTPNotFound(text=f"attaching: {err}\n") from None
        options = rc_spdy.StreamOptions(req.stdin, req.stdout, req.stderr and not req.tty, req.tty)
        return await self._stdio(request, session, options)

    async def _port_forward(self, request: web.Request) -> web.StreamResponse:
        req = self._take(request, pb.PortForwardRequest)
        assert isinstance(req, pb.PortForwardRequest)
        try:
            netns = self._backend.pod_netns(req.pod_sandbox_id)
        except CRIError as err:
            raise web.HTTPNotFound(text=f"{err.message}\n") from None

        async def dial(port: int) -> pf.Upstream:
            return await portforward.dial(netns, port)

        if upgrade.is_spdy_upgrade(request):
            _, stream = await upgrade.accept_spdy(request, (pf_spdy.PROTOCOL,))
            async with SpdyConnection(stream, server=True) as conn:
                await pf_spdy.serve_spdy(conn, dial, pod=req.pod_sandbox_id)
            return stream.response
        ports = _ports(request) or list(req.port)
        if not ports or not all(0 < p < 65536 for p in ports):
            raise web.HTTPBadRequest(text="port-forward needs ports between 1 and 65535\n")
        ws = web.WebSocketResponse(protocols=pf.PROTOCOLS, max_msg_size=0)
        await ws.prepare(request)
        await pf.serve_websocket(ws, ports, dial, pod=req.pod_sandbox_id)
        return ws


def _ports(request: web.Request) -> list[int]:
    raw = request.query.getall("port", []) + [
        p for v in request.query.getall("ports", []) for p in v.split(",") if p
    ]
    try:
        return [int(p) for p in raw]
    except ValueError:
        raise web.HTTPBadRequest(text="ports must be numbers\n") from None
