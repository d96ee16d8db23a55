"""Small network helpers shared by components and their test harnesses."""

from __future__ import annotations

import os
import socket


def primary_address() -> str:
    """The IPv4 address the default route leaves from (no packet is sent); "" if none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
    except OSError:
        return ""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the caller binds it soon after)."""
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


class ListenError(Exception):
    """A server could not bind its address (taken, or not ours); the process says so in one
    line and exits 1, as Kubernetes' components do, instead of printing a traceback."""

    def __init__(self, host: str, port: int, err: OSError) -> None:
        reason = (os.strerror(err.errno) if err.errno else str(err)).lower()
        super().__init__(f"failed to create listener: failed to listen on {host}:{port}: bind: {reason}")
