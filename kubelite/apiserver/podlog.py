"""pods/log: `GET /api/v1/namespaces/{ns}/pods/{name}/log`, streamed from the pod's kubelet.

Query (PodLogOptions): container, follow, previous, timestamps, tailLines, sinceSeconds,
sinceTime, limitBytes, insecureSkipTLSVerifyBackend. They are validated as Kubernetes does
(422 `PodLogOptions "name" is invalid: ...`), the container is checked against the pod, and
the request goes on to the kubelet's /containerLogs. Its answer is copied through as
text/plain while it arrives (flushed per chunk, so `logs -f` shows each line as it is
written); a kubelet error becomes a Status: 400 with the kubelet's text (`container "c" in
pod "p" is waiting to start: ContainerCreating`), 500, or 404. A pod not on a node yet has
an empty log. A WebSocket request gets the same stream as messages (protocols
`binary.k8s.io`, or none: binary; `base64.binary.k8s.io`: base64 text), as Kubernetes
serves every streamed response.
"""

from __future__ import annotations

import base64

import aiohttp
from aiohttp import web

from kubelite.api import errors
from kubelite.api.meta import format_time, parse_time
from kubelite.apiserver.kubeletclient import kubelet_client, kubelet_path, with_query
from kubelite.apiserver.podlocation import get_object, kubelet_url, validate_container
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.request import RequestInfo, query_bool, query_int
from kubelite.httpstream import upgrade

MAX_ERROR_BODY = 1024  # how much of a kubelet's error text is kept (maxReadLength)
BINARY, BASE64 = "binary.k8s.io", "base64.binary.k8s.io"  # a streamed response over WebSocket


def _options(request: web.Request, name: str) -> list[tuple[str, str]]:
    """The kubelet's query for a valid PodLogOptions, or a 422 naming the bad fields."""
    q = request.query
    tail, limit, since_seconds = (
        query_int(q, "tailLines"),
        query_int(q, "limitBytes"),
        query_int(q, "sinceSeconds"),
    )
    since_time = q.get("sinceTime", "")
    if since_time:
        try:
            since_time = format_time(parse_time(since_time))  # RFC 3339 in seconds, as Kubernetes sends it
        except ValueError:
            raise errors.BadRequest(
                f'parsing time "{since_time}" as "2006-01-02T15:04:05Z07:00": cannot parse'
            ) from None
    problems = []
    if tail is not None and tail < 0:
        problems.append(errors.invalid("tailLines", tail, "must be greater than or equal to 0"))
    if limit is not None and limit < 1:
        problems.append(errors.invalid("limitBytes", limit, "must be greater than 0"))
    if since_seconds is not None and since_time:
        problems.append(errors.forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
    elif since_seconds is not None and since_seconds < 1:
        problems.append(errors.invalid("sinceSeconds", since_seconds, "must be greater than 0"))
    if problems:
        raise errors.invalid_object("PodLogOptions", "", name, problems)
    params = [(k, "true") for k in ("follow", "previous", "timestamps") if query_bool(q, k)]
    params += [(k, str(v)) for k, v in (("sinceSeconds", since_seconds),) if v is not None]
    params += [("sinceTime", since_time)] if since_time else []
    params += [(k, str(v)) for k, v in (("tailLines", tail), ("limitBytes", limit)) if v is not None]
    return params


def _kubelet_error(status: int, text: str, name: str) -> errors.APIError:
    if status == 500:
        return errors.InternalError(f"Internal error occurred: {text}")
    if status == 400:
        return errors.BadRequest(text)
    if status == 404:
        return errors.NotFound(
            "the server could not find the requested resource", details={"name": name, "kind": "pods/log"}
        )
    return errors.APIError(
        text or f"the kubelet answered {status}", details={"name": name, "kind": "pods/log"}
    )


async def pod_log(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    params = _options(request, info.name)
    skip_verify = query_bool(request.query, "insecureSkipTLSVerifyBackend")
    pod = await get_object(registry, "pods", info.namespace, info.name)
    container = validate_container(pod, request.query.get("container", ""))
    if not (pod.get("spec") or {}).get("nodeName"):
        if upgrade.is_websocket(request):
            return await _copy_websocket(request, None)
        return web.Response(body=b"", content_type="text/plain")
    base = await kubelet_url(registry, request, pod)
    url = with_query(base + kubelet_path("containerLogs", info.namespace, info.name, container), params)
    client = kubelet_client(request)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        try:
            upstream = await http.get(url, ssl=client.ssl_context(skip_verify=skip_verify))
        except aiohttp.ClientError as err:
            raise errors.InternalError(f"Internal error occurred: error dialing backend: {err}") from None
        async with upstream:
            if not 200 <= upstream.status <= 206:
                text = (await upstream.content.read(MAX_ERROR_BODY)).decode(errors="replace").strip()
                raise _kubelet_error(upstream.status, text, info.name)
            if upgrade.is_websocket(request):
                return await _copy_websocket(request, upstream)
            return await _copy(request, upstream)


async def _copy(request: web.Request, upstream: aiohttp.ClientResponse) -> web.StreamResponse:
    """The kubelet's log as it arrives; ends quietly when either side goes away."""
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
    except (ConnectionError, aiohttp.ClientError):
        return response  # the client left, or the kubelet: the stream just ends
    await response.write_eof()
    return response


async def _copy_websocket(
    request: web.Request, upstream: aiohttp.ClientResponse | None
) -> web.StreamResponse:
    """The same stream as WebSocket messages, one per chunk; a normal close at its end."""
    ws = web.WebSocketResponse(protocols=(BINARY, BASE64), max_msg_size=0)
    await ws.prepare(request)
    encoded = ws.ws_protocol == BASE64
    try:
        if upstream is not None:
            async for chunk in upstream.content.iter_any():
                if encoded:
                    await ws.send_str(base64.b64encode(chunk).decode())
                else:
                    await ws.send_bytes(chunk)
    except (ConnectionError, aiohttp.ClientError):
        pass  # the client left, or the kubelet: the stream just ends
    await ws.close()
    return ws
