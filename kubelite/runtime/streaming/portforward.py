"""Streaming port-forward: WebSocket channels to TCP ports inside a pod's network namespace.

The protocol is described in `kubelite.cri.portforward`. To reach 127.0.0.1:port in the
pod, a short-lived thread enters the pod's network namespace (setns changes only the
calling thread's namespace), connects, and exits; the socket stays in the namespace it
was made in, so the event loop then uses it like any other.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import socket
import threading
from pathlib import Path

import aiohttp
from aiohttp import web

from kubelite.cri.portforward import port_prefix

CLONE_NEWNET = 0x40000000
CHUNK = 32 * 1024
_libc = ctypes.CDLL(None, use_errno=True)


def _connect_in(netns: Path | None, port: int, timeout: float) -> socket.socket:
    result: list[socket.socket | BaseException] = []

    def target() -> None:
        try:
            if netns is not None:
                fd = os.open(netns, os.O_RDONLY)
                try:
                    if _libc.setns(fd, CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"setns {netns}: {os.strerror(err)}")
                finally:
                    os.close(fd)
            sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            sock.setblocking(False)
            result.append(sock)
        except BaseException as err:  # handed to the caller's thread
            result.append(err)

    # a thread of its own, never a pooled one: it dies in the pod's namespace
    thread = threading.Thread(target=target, name=f"portforward-{port}", daemon=True)
    thread.start()
    thread.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


async def dial(
    netns: Path | None, port: int, timeout: float = 10.0
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP connection to 127.0.0.1:port in `netns` (the host's namespace when None)."""
    sock = await asyncio.to_thread(_connect_in, netns, port, timeout)
    return await asyncio.open_connection(sock=sock)


async def serve(ws: web.WebSocketResponse, netns: Path | None, ports: list[int]) -> None:
    """Run one port-forward WebSocket: one pod connection per requested port."""
    writers: dict[int, asyncio.StreamWriter] = {}
    pumps: list[asyncio.Task[None]] = []
    for i, port in enumerate(ports):
        data_ch, err_ch = 2 * i, 2 * i + 1
        await ws.send_bytes(bytes([data_ch]) + port_prefix(port))
        await ws.send_bytes(bytes([err_ch]) + port_prefix(port))
        try:
            reader, writer = await dial(netns, port)
        except OSError as err:
            msg = f"error forwarding port {port} to pod: {err}"
            await ws.send_bytes(bytes([err_ch]) + msg.encode())
            continue
        writers[data_ch] = writer
        pumps.append(asyncio.create_task(_to_client(ws, data_ch, reader)))
    if not writers:
        await ws.close()
        return
    from_client = asyncio.create_task(_from_client(ws, writers))
    try:
        await asyncio.wait([from_client, *pumps], return_when=asyncio.FIRST_COMPLETED)
    finally:
        from_client.cancel()
        for t in pumps:
            t.cancel()
        for w in writers.values():
            w.close()
        await ws.close()


async def _to_client(ws: web.WebSocketResponse, channel: int, reader: asyncio.StreamReader) -> None:
    while data := await reader.read(CHUNK):
        await ws.send_bytes(bytes([channel]) + data)


async def _from_client(ws: web.WebSocketResponse, writers: dict[int, asyncio.StreamWriter]) -> None:
    async for msg in ws:
        if msg.type != aiohttp.WSMsgType.BINARY or not msg.data:
            continue
        writer = writers.get(msg.data[0])
        if writer is not None and len(msg.data) > 1:
            writer.write(msg.data[1:])
            await writer.drain()
