"""The remotecommand channel protocol on the server side, shared by exec and attach.

`serve(ws, session)` runs one session over an accepted WebSocket: messages from the
client go to the session (stdin, stdin EOF, terminal resizes); the session's output goes
to the client on the stdout/stderr channels; when the output ends the exit status is sent
on the status channel and the WebSocket is closed normally. If the client goes away first
the session is closed (an exec'd process is killed, an attach detaches).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Protocol

import aiohttp
from aiohttp import web

from kubelite.cri import remotecommand as rc

log = logging.getLogger("kubelite.runtime.streaming")


class StdioSession(Protocol):
    async def write_stdin(self, data: bytes) -> None:
        """Pass bytes to the process's stdin; dropped if it has none or it was closed."""
        ...

    async def close_stdin(self) -> None:
        """EOF on the process's stdin. Idempotent."""
        ...

    def resize(self, width: int, height: int) -> None:
        """Set the terminal size; ignored without a terminal."""
        ...

    async def read(self) -> tuple[int, bytes] | None:
        """The next output as (rc.STDOUT or rc.STDERR, data); None once all output ended."""
        ...

    async def wait(self) -> int | None:
        """After the output ended: the exit code, or None if there is none to report."""
        ...

    async def close(self) -> None:
        """End the session early (client gone): kill or detach. Idempotent."""
        ...


async def _from_client(ws: web.WebSocketResponse, session: StdioSession) -> None:
    async for msg in ws:
        if msg.type != aiohttp.WSMsgType.BINARY or not msg.data:
            continue
        channel, payload = msg.data[0], bytes(msg.data[1:])
        if channel == rc.STDIN:
            await session.write_stdin(payload)
        elif channel == rc.RESIZE:
            try:
                size = json.loads(payload)
                session.resize(int(size["Width"]), int(size["Height"]))
            except (ValueError, KeyError, TypeError):
                log.info("ignoring a malformed resize message")
        elif channel == rc.CLOSE and payload[:1] == bytes([rc.STDIN]):
            await session.close_stdin()


async def serve(ws: web.WebSocketResponse, session: StdioSession) -> None:
    reader = asyncio.create_task(_from_client(ws, session))
    try:
        while not reader.done():
            out = asyncio.create_task(session.read())
            await asyncio.wait({out, reader}, return_when=asyncio.FIRST_COMPLETED)
            if not out.done():  # the client left before the output ended
                out.cancel()
                await session.close()
                return
            item = out.result()
            if item is None:
                code = await session.wait()
                status = rc.success_status() if code is None else rc.exit_status(code)
                await ws.send_bytes(rc.frame(rc.ERROR, json.dumps(status).encode()))
                return
            await ws.send_bytes(rc.frame(*item))
    except (ConnectionResetError, aiohttp.ClientConnectionResetError):
        await session.close()
    finally:
        reader.cancel()
        await ws.close()
