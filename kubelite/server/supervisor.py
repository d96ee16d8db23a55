"""Supervising component processes: start in order, restart on crash, stop together.

`kubelite up` and `kubelite node join` both run their components through this: each
`Component` is a command line started as a child process (with `preexec`, e.g. entering a
node's network namespace), started only once the one before it is `ready`, restarted with
back-off when it exits on its own (and said so) unless it is `done` - on another port when
one it listens on was taken meanwhile (`ports`) -, and stopped with
SIGTERM, then SIGKILL after a grace period. Every child gets SIGTERM from the kernel when
its supervisor dies, however it dies (util/process.exit_with_parent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from kubelite.util.net import free_port
from kubelite.util.process import exit_with_parent

log = logging.getLogger("kubelite.up")


@dataclass(slots=True)
class Component:
    name: str
    argv: list[str]
    ready: Callable[[], Awaitable[bool]] | None = None  # None: ready once started
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    preexec: Callable[[], None] | None = None  # run in the child before exec (after the death signal)
    done: Callable[[], bool] | None = None  # asked after an exit: True ends its supervision
    # (flag, host) of each port it listens on that `up` chose: one taken by another process
    # while the component was down is replaced by a free one at the restart
    ports: tuple[tuple[str, str], ...] = ()


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def repick_taken_ports(c: Component, who: str = "kubelite up") -> None:
    """Give `c` a free port for each of its `ports` another process holds now."""
    for flag, host in c.ports:
        for i, arg in enumerate(c.argv):
            if arg == flag and i + 1 < len(c.argv):
                at, value, prefix = i + 1, c.argv[i + 1], ""
            elif arg.startswith(flag + "="):
                at, value, prefix = i, arg[len(flag) + 1 :], flag + "="
            else:
                continue
            if value.isdigit() and int(value) and not _bindable(host, int(value)):
                port = free_port(host)
                c.argv[at] = f"{prefix}{port}"
                print(f"{who}: port {value} is taken; {c.name} serves on {port}", file=sys.stderr, flush=True)
            break


def socket_ready(path: Path) -> Callable[[], Awaitable[bool]]:
    async def connect() -> bool:
        try:
            _, writer = await asyncio.open_unix_connection(str(path))
        except OSError:
            return False
        writer.close()
        return True

    return connect


async def until_ready(c: Component, stopping: asyncio.Event, who: str = "kubelite up") -> None:
    """Wait for `c` to be ready (or for the supervisor to be stopped); say so when it is slow."""
    started = time.monotonic()
    warned = False
    while c.ready is not None and not stopping.is_set() and not await c.ready():
        if not warned and time.monotonic() - started > 30:
            print(f"{who}: still waiting for {c.name} to be ready", file=sys.stderr, flush=True)
            warned = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), 0.2)


def _preexec(c: Component) -> Callable[[], None]:
    die = exit_with_parent()
    if c.preexec is None:
        return die
    extra = c.preexec

    def both() -> None:
        die()
        extra()

    return both


async def supervise(c: Component, stopping: asyncio.Event, who: str = "kubelite up") -> None:
    backoff = 1.0
    while not stopping.is_set():
        started = time.monotonic()
        # Each component dies with its supervisor, however that ends (even SIGKILL).
        c.process = await asyncio.create_subprocess_exec(
            *c.argv, start_new_session=True, preexec_fn=_preexec(c)
        )
        code = await c.process.wait()
        if stopping.is_set():
            return
        if c.done is not None and c.done():
            print(f"{who}: {c.name} is done", file=sys.stderr, flush=True)
            return
        c.restarts += 1
        log.error("%s exited with code %s; restarting it (restart %d)", c.name, code, c.restarts)
        print(f"{who}: {c.name} exited with code {code}; restarting it", file=sys.stderr, flush=True)
        backoff = 1.0 if time.monotonic() - started > 30 else min(backoff * 2, 30.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), backoff)
        repick_taken_ports(c, who)


async def stop(c: Component, grace: float = 10.0) -> None:
    p = c.process
    if p is None or p.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        p.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(p.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            p.kill()
        await p.wait()
