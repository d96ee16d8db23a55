"""Streaming attach: a session on a running container's own stdio, held by its monitor.

The container monitor (`kubelite/runtime/monitor.py`) keeps the container's stdin pipe
and copies its stdout and stderr; it also listens on `attach.sock` in the container's
state directory. Attaching connects there and exchanges frames:

```
[channel: 1 byte][length: 4 bytes big-endian][payload]
  monitor → client: 1 stdout, 2 stderr
  client → monitor: 0 stdin, 4 resize (width, height: 2 bytes each, big-endian; for a
                    container with a terminal), 255 stdin EOF (honoured with stdin_once)
```

The monitor closes the connection when the container exits; the session then reports the
container's exit code. Detaching (the client leaves) leaves the container running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path

from kubelite.cri import remotecommand as rc

HEADER = struct.Struct(">BI")
SOCKET_NAME = "attach.sock"


async def connect(state_dir: Path) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    # The state directory's path may be longer than a unix socket address allows (108
    # bytes); reaching the socket through /proc/self/fd/<dir fd> keeps the address short.
    dir_fd = os.open(state_dir, os.O_PATH | os.O_DIRECTORY)
    try:
        return await asyncio.open_unix_connection(f"/proc/self/fd/{dir_fd}/{SOCKET_NAME}")
    finally:
        os.close(dir_fd)


class Attach:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        exit_code: Callable[[], Awaitable[int | None]],
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._exit_code = exit_code

    @classmethod
    async def open(cls, state_dir: Path, exit_code: Callable[[], Awaitable[int | None]]) -> Attach:
        reader, writer = await connect(state_dir)
        return cls(reader, writer, exit_code)

    async def _send(self, channel: int, payload: bytes) -> None:
        if self._writer.is_closing():
            return
        try:
            self._writer.write(HEADER.pack(channel, len(payload)) + payload)
            await self._writer.drain()
        except ConnectionError:
            pass

    async def write_stdin(self, data: bytes) -> None:
        await self._send(rc.STDIN, data)

    async def close_stdin(self) -> None:
        await self._send(rc.CLOSE, b"")

    async def resize(self, width: int, height: int) -> None:
        if not self._writer.is_closing():  # the monitor ignores it without a terminal
            self._writer.write(HEADER.pack(rc.RESIZE, 4) + struct.pack(">HH", width, height))

    async def read(self) -> tuple[int, bytes] | None:
        try:
            channel, size = HEADER.unpack(await self._reader.readexactly(HEADER.size))
            return channel, await self._reader.readexactly(size)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None

    async def status(self) -> rc.Status:
        """The container's exit status once it exited; Success when the monitor let go first."""
        await self.close()
        code = await self._exit_code()
        return rc.success_status() if code is None else rc.exit_status(code)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
