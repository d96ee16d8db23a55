"""Byte streams in memory, for tests of what runs over them (SPDY, proxies)."""

from __future__ import annotations

import asyncio


class MemoryStream:
    """One end of an in-memory duplex connection; `memory_pair()` makes both ends."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self.peer: MemoryStream | None = None
        self.closed = False
        self.written = bytearray()  # everything this end sent, for assertions

    async def read(self) -> bytes:
        data = await self.inbox.get()
        if not data:
            self.inbox.put_nowait(b"")
        return data

    async def write(self, data: bytes) -> None:
        if self.closed or self.peer is None or self.peer.closed:
            raise ConnectionResetError("the memory stream is closed")
        self.written += data
        self.peer.inbox.put_nowait(bytes(data))

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.inbox.put_nowait(b"")
            if self.peer is not None:
                self.peer.inbox.put_nowait(b"")


def memory_pair() -> tuple[MemoryStream, MemoryStream]:
    a, b = MemoryStream(), MemoryStream()
    a.peer, b.peer = b, a
    return a, b
