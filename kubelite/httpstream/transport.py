"""Byte streams: what an upgraded connection carries once HTTP is left behind.

SPDY runs over any ordered stream of bytes; so does relaying a connection from one side of
a proxy to the other. A `ByteStream` is that: read what arrives, write, close. Three kinds:

- `StreamPair`: an asyncio connection (TCP or TLS; a dialled upgrade, see `upgrade.dial`);
- `FedStream`: bytes handed over by someone else's protocol (an aiohttp connection taken
  over after its 101, see `upgrade.hijack`), written back through a callback;
- `WebSocketBytes`: the payloads of binary WebSocket messages, in order (kubectl >= 1.31
  tunnels SPDY port-forwarding this way: every message is raw SPDY bytes).

`pipe(a, b)` copies both ways until either side ends, which is all a proxy of an upgraded
connection does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol

import aiohttp
from aiohttp import web

CHUNK = 64 * 1024


class ByteStream(Protocol):
    async def read(self) -> bytes:
        """The next bytes that arrived; b"" once the other side has finished sending."""
        ...

    async def write(self, data: bytes) -> None:
        """Send `data`, waiting while the peer is slow to take it. Raises ConnectionError
        once the connection is gone."""
        ...

    async def close(self) -> None:
        """Close both directions. Idempotent."""
        ...


class StreamPair:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def read(self) -> bytes:
        try:
            return await self.reader.read(CHUNK)
        except ConnectionError:
            return b""

    async def write(self, data: bytes) -> None:
        if self.writer.is_closing():
            raise ConnectionResetError("the connection is closed")
        self.writer.write(data)
        await self.writer.drain()

    async def close(self) -> None:
        if not self.writer.is_closing():
            self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


class FedStream:
    """Bytes delivered by `feed_data`/`feed_eof` (a protocol's data_received calls them);
    writes go to `send`, closing to `on_close`."""

    def __init__(
        self, send: Callable[[bytes], Awaitable[None]], on_close: Callable[[], None], limit: int = 4 * CHUNK
    ) -> None:
        self._send = send
        self._on_close = on_close
        self._reader = asyncio.StreamReader(limit=limit)
        self._closed = False

    # the parser interface aiohttp's protocol feeds (see upgrade.hijack)
    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self._reader.feed_data(data)
        return False, b""

    def feed_eof(self) -> None:
        self._reader.feed_eof()

    async def read(self) -> bytes:
        return await self._reader.read(CHUNK)

    async def write(self, data: bytes) -> None:
        if self._closed:
            raise ConnectionResetError("the connection is closed")
        try:
            await self._send(data)
        except (aiohttp.ClientConnectionResetError, RuntimeError) as err:
            raise ConnectionResetError(str(err)) from None

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._reader.feed_eof()
            self._on_close()


class WebSocketBytes:
    """Binary WebSocket messages as one byte stream (either end of a WebSocket)."""

    def __init__(self, ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def read(self) -> bytes:
        while True:
            msg = await self.ws.receive()
            if msg.type == aiohttp.WSMsgType.BINARY:
                if msg.data:
                    return bytes(msg.data)
                continue
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                return b""
            if msg.type == aiohttp.WSMsgType.CLOSING:
                return b""

    async def write(self, data: bytes) -> None:
        if self.ws.closed:
            raise ConnectionResetError("the WebSocket is closed")
        await self.ws.send_bytes(data)

    async def close(self) -> None:
        await self.ws.close()


async def copy(src: ByteStream, dst: ByteStream) -> None:
    """Copy until `src` ends or `dst` is gone."""
    with contextlib.suppress(ConnectionError):
        while data := await src.read():
            await dst.write(data)


async def pipe(a: ByteStream, b: ByteStream) -> None:
    """Copy both ways until one side ends; then close both (a proxied connection ends as a
    whole, as Kubernetes' upgrade-aware proxy ends it)."""
    tasks = [asyncio.create_task(copy(a, b)), asyncio.create_task(copy(b, a))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(a.close(), b.close(), return_exceptions=True)
