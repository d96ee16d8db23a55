"""The port-forward stream protocol over WebSocket, and its client.

A CRI `PortForward` call answers with a URL on the runtime's streaming server; each
forwarded connection is one WebSocket on that URL, with the pod ports in the query
(`?port=80&port=8080`, or `?ports=80,8080` as the Python Kubernetes client writes it).
For the i-th port, channel 2i carries the data and channel 2i+1 the errors; the first
byte of each binary message is the channel. The server's first message on each channel
is the port number as 2 bytes little-endian, after which the data channel carries the
raw bytes of the TCP connection to 127.0.0.1:port inside the pod's network namespace,
in both directions, and the error channel carries text if the connection failed.

Either side closing the WebSocket ends the connection. This is the protocol of
Kubernetes' `v4.channel.k8s.io` port-forward (also offered as `portforward.k8s.io`, or
with no subprotocol at all); kubectl's SPDY port-forward is in `portforward_spdy`.

Both ends live here: `serve_websocket` relays each requested port to an `Upstream` a
`Dial` opens (a TCP connection in the pod's network namespace in the runtime, a SPDY
stream pair to the kubelet in the API server); `PortForwardStream` is the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Awaitable, Callable
from typing import Protocol
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from kubelite.cri.remotecommand import message_bytes

PROTOCOLS = ("v4.channel.k8s.io", "portforward.k8s.io")
CHUNK = 32 * 1024


def port_prefix(port: int) -> bytes:
    return struct.pack("<H", port)


class Upstream(Protocol):
    """One forwarded connection to a pod port, as the side relaying it sees it."""

    async def read(self) -> bytes:
        """Bytes from the pod's port; b"" once it stopped sending."""
        ...

    async def write(self, data: bytes) -> None: ...

    async def write_eof(self) -> None:
        """The client stopped sending: half-close toward the pod."""
        ...

    async def error(self) -> str:
        """After the end: what went wrong on the way to the port ("" when nothing did)."""
        ...

    async def close(self) -> None: ...


Dial = Callable[[int], Awaitable[Upstream]]  # raises OSError (its text goes to the client)


class TcpUpstream:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self) -> bytes:
        try:
            return await self._reader.read(CHUNK)
        except ConnectionError:
            return b""

    async def write(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def write_eof(self) -> None:
        if self._writer.can_write_eof() and not self._writer.is_closing():
            self._writer.write_eof()

    async def error(self) -> str:
        return ""

    async def close(self) -> None:
        self._writer.close()


def forwarding_error(port: int, pod: str, uid: str, err: object) -> str:
    """The kubelet's wording of a connection it could not make to a pod port."""
    return f"error forwarding port {port} to pod {pod}, uid {uid}: {err}"


async def serve_websocket(ws: web.WebSocketResponse, ports: list[int], dial: Dial, *, pod: str = "") -> None:
    """Run one port-forward WebSocket (prepared already): one upstream per requested port."""
    upstreams: dict[int, Upstream] = {}
    pumps: list[asyncio.Task[None]] = []
    for i, port in enumerate(ports):
        data_ch, err_ch = 2 * i, 2 * i + 1
        await ws.send_bytes(bytes([data_ch]) + port_prefix(port))
        await ws.send_bytes(bytes([err_ch]) + port_prefix(port))
        try:
            upstream = await dial(port)
        except OSError as err:
            await ws.send_bytes(bytes([err_ch]) + forwarding_error(port, pod, "", err).encode())
            continue
        upstreams[data_ch] = upstream
        pumps.append(asyncio.create_task(_to_client(ws, data_ch, upstream)))
    if not upstreams:
        await ws.close()
        return
    from_client = asyncio.create_task(_from_client(ws, upstreams))
    try:
        await asyncio.wait([from_client, *pumps], return_when=asyncio.FIRST_COMPLETED)
    finally:
        from_client.cancel()
        for t in pumps:
            t.cancel()
        for u in upstreams.values():
            await u.close()
        await ws.close()


async def _to_client(ws: web.WebSocketResponse, channel: int, upstream: Upstream) -> None:
    while data := await upstream.read():
        await ws.send_bytes(bytes([channel]) + data)
    if message := await upstream.error():
        with contextlib.suppress(ConnectionError):
            await ws.send_bytes(bytes([channel + 1]) + message.encode())


async def _from_client(ws: web.WebSocketResponse, upstreams: dict[int, Upstream]) -> None:
    async for msg in ws:
        data = message_bytes(msg)
        if not data:
            continue
        upstream = upstreams.get(data[0])
        if upstream is not None and len(data) > 1:
            await upstream.write(data[1:])


class PortForwardError(Exception):
    """The server could not connect to the pod's port (the text of the error channel)."""


class PortForwardStream:
    """One forwarded connection to one pod port: `async with PortForwardStream(url, port)`."""

    def __init__(self, url: str, port: int, *, session: aiohttp.ClientSession | None = None) -> None:
        sep = "&" if "?" in url else "?"
        self.url = f"{url}{sep}{urlencode({'port': port})}"
        self.port = port
        self._own_session = session is None
        self._session = session
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._seen_prefix = {0: False, 1: False}
        self._error = bytearray()

    async def __aenter__(self) -> PortForwardStream:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            self._ws = await self._session.ws_connect(self.url, protocols=PROTOCOLS, heartbeat=None)
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def ws(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None:
            raise RuntimeError("the stream is not open (use `async with`)")
        return self._ws

    async def write(self, data: bytes) -> None:
        await self.ws.send_bytes(b"\x00" + data)

    async def read(self) -> bytes:
        """The next bytes from the pod's port; b"" when the connection ended. Raises
        PortForwardError with the server's message if the connection failed."""
        while True:
            msg = await self.ws.receive()
            if msg.type != aiohttp.WSMsgType.BINARY:
                if self._error:
                    raise PortForwardError(self._error.decode(errors="replace"))
                return b""
            if not msg.data:
                continue
            channel, payload = msg.data[0], bytes(msg.data[1:])
            if channel not in (0, 1):
                continue
            if not self._seen_prefix[channel]:  # the port number opens each channel
                self._seen_prefix[channel] = True
                payload = payload[2:]
            if channel == 1:
                self._error += payload
                continue
            if payload:
                return payload


async def pipe(stream: PortForwardStream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy between a local TCP connection and a forwarded stream until either ends."""

    async def up() -> None:
        while data := await reader.read(64 * 1024):
            await stream.write(data)

    async def down() -> None:
        while data := await stream.read():
            writer.write(data)
            await writer.drain()

    tasks = [asyncio.create_task(up()), asyncio.create_task(down())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()
        writer.close()


async def serve_local(url: str, port: int, *, host: str = "127.0.0.1", local_port: int = 0) -> asyncio.Server:
    """Listen on host:local_port and forward each connection to the pod's `port` (what
    `kubectl port-forward` does on the user's machine). Close the returned server to stop."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with PortForwardStream(url, port) as stream:
                await pipe(stream, reader, writer)
        except (aiohttp.ClientError, PortForwardError):
            writer.close()

    return await asyncio.start_server(handle, host, local_port)
