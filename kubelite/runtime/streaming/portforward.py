"""Streaming port-forward: TCP connections to ports inside a pod's network namespace.

The protocols (WebSocket channels, SPDY stream pairs) are in `kubelite.cri.portforward` and
`kubelite.cri.portforward_spdy`; this is what they relay to. To reach localhost:port in the
pod (127.0.0.1, then ::1, as containerd tries them), a short-lived thread enters the pod's
network namespace (setns changes only the calling thread's namespace), connects, and exits;
the socket stays in the namespace it was made in, so the event loop then uses it like any
other.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import socket
import threading
from pathlib import Path

from kubelite.cri.portforward import TcpUpstream

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _go_errno(err: OSError) -> str:
    """An OS error as Go prints a syscall error ("connection refused")."""
    text = os.strerror(err.errno) if err.errno else str(err)
    return text[:1].lower() + text[1:]


def _dial(family: str, host: str, port: int, timeout: float) -> socket.socket | str:
    """A connection, or why not as Go words a failed dial ("dial tcp4 127.0.0.1:80: ...")."""
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        reason = "i/o timeout"
    except OSError as err:
        reason = f"connect: {_go_errno(err)}"
    shown = f"[{host}]" if ":" in host else host
    return f"dial {family} {shown}:{port}: {reason}"


def _connect(netns: Path | None, port: int, timeout: float) -> socket.socket:
    """localhost:port from the calling thread's namespace, over IPv4 and then IPv6, as
    containerd connects; a failure worded as containerd's."""
    v4 = _dial("tcp4", "127.0.0.1", port, timeout)
    if isinstance(v4, socket.socket):
        return v4
    v6 = _dial("tcp6", "::1", port, timeout)
    if isinstance(v6, socket.socket):
        return v6
    where = f' inside namespace "{netns}"' if netns is not None else ""
    raise ConnectionError(f"failed to connect to localhost:{port}{where}, IPv4: {v4} IPv6 {v6} ")


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
            sock = _connect(netns, port, timeout)
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


async def dial(netns: Path | None, port: int, timeout: float = 10.0) -> TcpUpstream:
    """A TCP connection to 127.0.0.1:port in `netns` (the host's namespace when None)."""
    sock = await asyncio.to_thread(_connect_in, netns, port, timeout)
    return TcpUpstream(*await asyncio.open_connection(sock=sock))
