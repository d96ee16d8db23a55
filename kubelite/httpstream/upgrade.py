"""The HTTP side of an upgrade: negotiating, taking over the server's connection, dialling.

Server side (aiohttp):

- `negotiate(request, supported)`: the `X-Stream-Protocol-Version` handshake - the first of
  the client's protocols (in its order) the server supports; a 403 naming both lists
  otherwise, with `X-Accepted-Stream-Protocol-Versions`, as Kubernetes answers;
- `hijack(request, headers)`: answer `101 Switching Protocols` and take the connection
  over as a byte stream. aiohttp upgrades only to WebSocket by itself; any other upgrade
  (SPDY/3.1) goes through the same door WebSocketResponse uses: the response is prepared
  with status 101, and the protocol's payload parser is replaced by the stream, which then
  receives every byte after the request's head.

Client side:

- `dial(url, headers)`: one HTTP/1.1 request on a fresh connection (TLS with the given
  context for https), its response head read by hand; a 101 leaves the connection as a
  byte stream, anything else is returned with its body (`UpgradeFailed`).

Both: `relay(request, url)` carries an upgrade request on to `url` as it came, the answer
back, and after a 101 the bytes both ways (Kubernetes' upgrade-aware proxy, which the
kubelet puts in front of the runtime and the API server in front of the kubelet).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

from aiohttp import web

from kubelite.httpstream.transport import FedStream, StreamPair, pipe

SPDY_31 = "SPDY/3.1"
PROTOCOL_HEADER = "X-Stream-Protocol-Version"
ACCEPTED_HEADER = "X-Accepted-Stream-Protocol-Versions"
MAX_HEAD = 64 * 1024
MAX_ERROR_BODY = 1024 * 1024
# request headers of the hop to this server, not of the one to the next
HOP_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "keep-alive", "proxy-connection", "te"}
)
# headers of the next server's 101 its client needs (the rest belong to that hop)
UPGRADE_RESPONSE_HEADERS = frozenset(
    {"upgrade", "x-stream-protocol-version", "sec-websocket-accept", "sec-websocket-protocol"}
)


# ---- server side


def requested_protocols(request: web.BaseRequest) -> list[str]:
    """The client's `X-Stream-Protocol-Version` values, repeated headers and commas alike."""
    out: list[str] = []
    for value in request.headers.getall(PROTOCOL_HEADER, []):
        out += [p.strip() for p in value.split(",") if p.strip()]
    return out


def is_upgrade(request: web.BaseRequest) -> bool:
    return any("upgrade" in v.lower() for v in request.headers.getall("Connection", []))


def is_spdy_upgrade(request: web.BaseRequest) -> bool:
    return is_upgrade(request) and SPDY_31.lower() in request.headers.get("Upgrade", "").lower()


def is_websocket(request: web.BaseRequest) -> bool:
    return is_upgrade(request) and request.headers.get("Upgrade", "").lower().strip() == "websocket"


def negotiate(request: web.BaseRequest, supported: Iterable[str]) -> str:
    """The protocol both sides speak; raises a 403 (or 400 without any offer) otherwise."""
    server = list(supported)
    client = requested_protocols(request)
    if not client:
        raise web.HTTPBadRequest(text=f"unable to upgrade: {PROTOCOL_HEADER} is required")
    for proto in client:
        if proto in server:
            return proto
    err = web.HTTPForbidden(
        text=f"unable to upgrade: unable to negotiate protocol: client supports {_go_list(client)}, "
        f"server accepts {_go_list(server)}"
    )
    for proto in server:
        err.headers.add(ACCEPTED_HEADER, proto)
    raise err


def _go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"


class Hijacked(FedStream):
    """A connection taken over after its 101; the handler returns `.response` (already sent)."""

    response: web.StreamResponse


async def hijack(request: web.Request, headers: Mapping[str, str]) -> Hijacked:
    """Answer 101 with `headers` (Upgrade and the chosen protocol) and return the connection.
    The caller owns it: close it when done, then return its `.response` from the handler."""
    response = web.StreamResponse(status=101, headers={"Connection": "Upgrade", **headers})
    response.force_close()
    await response.prepare(request)
    await response.write(b"")  # the head goes out now, not with the first payload
    transport = request.transport

    def close() -> None:
        if transport is not None and not transport.is_closing():
            transport.close()

    stream = Hijacked(response.write, close)
    stream.response = response
    # the door WebSocketResponse uses (see the module docstring)
    request.protocol.set_parser(cast(Any, stream))
    request.protocol.keep_alive(False)
    return stream


async def accept_spdy(request: web.Request, supported: Iterable[str]) -> tuple[str, Hijacked]:
    """Negotiate a stream protocol and answer the SPDY/3.1 upgrade: (protocol, connection)."""
    protocol = negotiate(request, supported)
    return protocol, await hijack(request, {"Upgrade": SPDY_31, PROTOCOL_HEADER: protocol})


# ---- client side


@dataclass(slots=True)
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str, default: str = "") -> str:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


class UpgradeFailed(Exception):
    """The server answered the upgrade request with something other than 101."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"upgrade refused: {response.status} {response.reason}")
        self.response = response


async def dial(
    url: str,
    headers: Iterable[tuple[str, str]],
    *,
    method: str = "POST",
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 30.0,
) -> tuple[Response, StreamPair]:
    """Send an upgrade request; the 101 response and the connection, or UpgradeFailed."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(
            host, port, ssl=ssl_context if secure else None, server_hostname=host if secure else None
        ),
        timeout,
    )
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        netloc = parts.netloc.rsplit("@", 1)[-1]
        lines = [f"{method} {target} HTTP/1.1", f"Host: {netloc}"]
        lines += [f"{k}: {v}" for k, v in headers if k.lower() not in ("host", "content-length")]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        response = await asyncio.wait_for(_read_head(reader), timeout)
        if response.status != 101:
            response.body = await asyncio.wait_for(_read_body(reader, response), timeout)
            raise UpgradeFailed(response)
    except BaseException:
        writer.close()
        raise
    return response, StreamPair(reader, writer)


async def _read_head(reader: asyncio.StreamReader) -> Response:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise ConnectionError("the response head is too long") from None
    except asyncio.IncompleteReadError:
        raise ConnectionError("the server closed the connection before answering") from None
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    try:
        _, code, *reason = status_line.split(" ", 2)
        status = int(code)
    except ValueError:
        raise ConnectionError(f"not an HTTP response: {status_line[:100]!r}") from None
    pairs = [tuple(line.split(":", 1)) for line in header_lines if ":" in line]
    return Response(status, reason[0] if reason else "", [(k.strip(), v.strip()) for k, v in pairs])


async def _read_body(reader: asyncio.StreamReader, response: Response) -> bytes:
    length = response.header("Content-Length")
    if length.isdigit():
        return await reader.readexactly(min(int(length), MAX_ERROR_BODY))
    if response.header("Transfer-Encoding").lower() == "chunked":
        body = bytearray()
        while len(body) < MAX_ERROR_BODY:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            body += await reader.readexactly(size)
            await reader.readline()
        return bytes(body)
    return await reader.read(MAX_ERROR_BODY)


async def relay(
    request: web.Request,
    url: str,
    *,
    ssl_context: ssl.SSLContext | None = None,
    drop: frozenset[str] = frozenset(),
) -> web.StreamResponse:
    """Carry the upgrade request on to `url` (less the `drop` headers); a refusal comes back
    as it was answered. Raises OSError when `url` cannot be reached."""
    skip = HOP_HEADERS | drop
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in skip]
    try:
        response, backend = await dial(url, headers, method=request.method, ssl_context=ssl_context)
    except UpgradeFailed as err:
        r = err.response
        content_type = r.header("Content-Type", "text/plain").split(";")[0]
        return web.Response(status=r.status, body=r.body, content_type=content_type)
    client = await hijack(
        request, {k: v for k, v in response.headers if k.lower() in UPGRADE_RESPONSE_HEADERS}
    )
    await pipe(client, backend)
    return client.response
