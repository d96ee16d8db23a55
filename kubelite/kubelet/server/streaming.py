"""/exec, /attach, /portForward and /run: the kubelet's half of `kubectl exec` and friends.

```
GET|POST /exec/{namespace}/{pod}[/{uid}]/{container}?command=…&input=1&output=1&error=1&tty=1
GET|POST /attach/{namespace}/{pod}[/{uid}]/{container}?input=1&output=1&error=1&tty=1
GET|POST /portForward/{namespace}/{pod}[/{uid}][?port=80]
POST     /run/{namespace}/{pod}[/{uid}]/{container}?cmd=ls%20-l
```

For the first three the kubelet finds the running container (or the pod's ready sandbox),
asks the runtime for a streaming URL (CRI Exec, Attach, PortForward) and then relays the
client's upgrade request to that URL as it came, the runtime's answer back, and after a 101
the bytes both ways - as Kubernetes' kubelet does with its upgrade-aware proxy. Whatever the
client speaks (SPDY from the API server, WebSocket from a direct client) is what the runtime
sees. Attach takes the terminal setting from the container's spec, not from the request.
`/run` runs a command to its end (CRI ExecSync) and answers with its output.
"""

from __future__ import annotations

import logging

from aiohttp import web

from kubelite.api.types import Object
from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import CRIError
from kubelite.httpstream import upgrade
from kubelite.kubelet.server.host import KubeletHost, container_spec, running_container, runtime_state

log = logging.getLogger("kubelite.kubelet.server")


def _stream_flags(request: web.Request) -> tuple[bool, bool, bool, bool]:
    """(stdin, stdout, stderr, tty) from the kubelet's parameters; stderr is dropped with a
    terminal; at least one stream is required."""
    q = request.query
    stdin, stdout, stderr, tty = (q.get(k) == "1" for k in ("input", "output", "error", "tty"))
    stderr = stderr and not tty
    if not (stdin or stdout or stderr):
        raise web.HTTPBadRequest(text="you must specify at least 1 of stdin, stdout, stderr")
    return stdin, stdout, stderr, tty


def _pod(host: KubeletHost, request: web.Request) -> Object:
    m = request.match_info
    pod = host.pod_by_name(m["namespace"], m["pod"])
    if pod is None:
        raise web.HTTPNotFound(text="pod does not exist")
    if m.get("uid") and pod["metadata"].get("uid") != m["uid"]:
        raise web.HTTPNotFound(text="pod not found")
    return pod


async def _container_id(host: KubeletHost, pod: Object, name: str) -> str:
    status = await running_container(host, pod, name)
    if status is None:
        raise web.HTTPInternalServerError(text=f'container not found ("{name}")')
    return str(status.id)


def _cri_error(err: CRIError) -> web.HTTPException:
    return web.HTTPInternalServerError(text=err.message)


class StreamingHandlers:
    def __init__(self, host: KubeletHost) -> None:
        self.host = host

    def routes(self, app: web.Application) -> None:
        for method in ("GET", "POST"):
            for tail in ("{container}", "{uid}/{container}"):
                app.router.add_route(method, f"/exec/{{namespace}}/{{pod}}/{tail}", self.exec)
                app.router.add_route(method, f"/attach/{{namespace}}/{{pod}}/{tail}", self.attach)
            app.router.add_route(method, "/portForward/{namespace}/{pod}", self.port_forward)
            app.router.add_route(method, "/portForward/{namespace}/{pod}/{uid}", self.port_forward)
        app.router.add_post("/run/{namespace}/{pod}/{container}", self.run)
        app.router.add_post("/run/{namespace}/{pod}/{uid}/{container}", self.run)

    async def exec(self, request: web.Request) -> web.StreamResponse:
        stdin, stdout, stderr, tty = _stream_flags(request)
        pod = _pod(self.host, request)
        cid = await _container_id(self.host, pod, request.match_info["container"])
        cmd = request.query.getall("command", [])
        req = pb.ExecRequest(container_id=cid, cmd=cmd, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty)
        try:
            url = (await self.host.runtime.exec(req)).url
        except CRIError as err:
            raise _cri_error(err) from None
        return await proxy_upgrade(request, url)

    async def attach(self, request: web.Request) -> web.StreamResponse:
        stdin, stdout, stderr, _ = _stream_flags(request)
        pod = _pod(self.host, request)
        name = request.match_info["container"]
        cid = await _container_id(self.host, pod, name)
        tty = bool((container_spec(pod, name) or {}).get("tty"))  # fixed when the container started
        req = pb.AttachRequest(
            container_id=cid, stdin=stdin, stdout=stdout, stderr=stderr and not tty, tty=tty
        )
        try:
            url = (await self.host.runtime.attach(req)).url
        except CRIError as err:
            raise _cri_error(err) from None
        return await proxy_upgrade(request, url)

    async def port_forward(self, request: web.Request) -> web.StreamResponse:
        pod = _pod(self.host, request)
        sandbox = (await runtime_state(self.host, pod)).ready_sandbox
        if sandbox is None:
            raise web.HTTPInternalServerError(text=f'pod not found ("{pod["metadata"]["name"]}")')
        try:
            ports = [int(p) for v in request.query.getall("port", []) for p in v.split(",") if p]
        except ValueError:
            raise web.HTTPBadRequest(text="port must be a number") from None
        try:
            url = (
                await self.host.runtime.port_forward(
                    pb.PortForwardRequest(pod_sandbox_id=sandbox.id, port=ports)
                )
            ).url
        except CRIError as err:
            raise _cri_error(err) from None
        return await proxy_upgrade(request, url)

    async def run(self, request: web.Request) -> web.Response:
        pod = _pod(self.host, request)
        cid = await _container_id(self.host, pod, request.match_info["container"])
        cmd = request.query.get("cmd", "").split(" ")
        try:
            result = await self.host.runtime.exec_sync(cid, cmd, 0)
        except CRIError as err:
            raise _cri_error(err) from None
        output = bytes(result.stdout) + bytes(result.stderr)
        if result.exit_code != 0:
            text = output.decode(errors="replace")
            raise web.HTTPInternalServerError(
                text=f"command '{' '.join(cmd)}' exited with {result.exit_code}: {text}"
            )
        return web.Response(body=output, content_type="application/json")


async def proxy_upgrade(request: web.Request, url: str) -> web.StreamResponse:
    """Relay an upgrade request to `url` and, after its 101, the connection both ways."""
    if not upgrade.is_upgrade(request):
        raise web.HTTPBadRequest(text="Upgrade request required")
    try:
        return await upgrade.relay(request, url)
    except OSError as err:
        raise web.HTTPInternalServerError(text=f"error dialing backend: {err}") from None
