"""Waiting on a condition, for tests and benchmarks that drive real processes.

A test of real parts (an API server process, a container runtime, a kubelet, kubectl) cannot
know when an effect it caused will show, so it asks again until it does. `wait_for` (blocking)
and `wait_for_async` (asyncio) are the one way to do that here: they call a probe until it
returns something truthy and return that value; when time runs out they fail with an
`AssertionError` that names what was awaited and the last value the probe returned::

    pod = await wait_for_async(running, "the pod to run", ignoring=(NotFound,))

A probe that raises fails the wait at once: a broken probe must not pass for a condition that
has not come true yet. Errors the caller expects while waiting (the object is not created
yet: `NotFound`; the server is not listening yet: `OSError`) are named in `ignoring`, count as
"not yet", and the last one is reported like a value.

Fixed sleeps have no place in tests (how long is long enough on a loaded machine?); what they
wait for is a condition, and these wait on it. Unit tests on fakes run in virtual time instead
(kubelite.util.clock.FakeClock): there `wait_for_async(..., interval=0)` lets the event loop
run until the condition holds.

Also here, for harnesses of child processes: waiting for a port or a socket to answer, and a
child's output read line by line as it prints it (stopping one: kubelite.util.process).
"""

from __future__ import annotations

import asyncio
import inspect
import socket
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any, TypeVar, overload

T = TypeVar("T")
Errors = tuple[type[BaseException], ...]

__all__ = ["Lines", "wait_for", "wait_for_async", "wait_for_port", "wait_for_socket"]


def wait_for(
    probe: Callable[[], T | None],
    what: str,
    *,
    timeout: float = 30.0,
    interval: float = 0.1,
    ignoring: Errors = (),
) -> T:
    """Call `probe` until it returns a truthy value, and return it; AssertionError after
    `timeout` seconds, naming `what` and the last value (or ignored error) seen."""
    deadline = time.monotonic() + timeout
    while True:
        last: object
        try:
            value = probe()
        except ignoring as err:
            last = err
        else:
            if value:
                return value
            last = value
        if time.monotonic() >= deadline:
            raise AssertionError(_timed_out(what, timeout, last))
        time.sleep(interval)


@overload
async def wait_for_async(
    probe: Callable[[], Awaitable[T | None]],
    what: str,
    *,
    timeout: float = ...,
    interval: float = ...,
    ignoring: Errors = ...,
) -> T: ...


@overload
async def wait_for_async(
    probe: Callable[[], T | None],
    what: str,
    *,
    timeout: float = ...,
    interval: float = ...,
    ignoring: Errors = ...,
) -> T: ...


async def wait_for_async(
    probe: Callable[[], Any],
    what: str,
    *,
    timeout: float = 30.0,
    interval: float = 0.1,
    ignoring: Errors = (),
) -> Any:
    """`wait_for` on the event loop: `probe` may be a plain function or a coroutine function.
    With `interval=0` the loop runs its other tasks once between two probes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        last: object
        try:
            value = await _result(probe())
        except ignoring as err:
            last = err
        else:
            if value:
                return value
            last = value
        if loop.time() >= deadline:
            raise AssertionError(_timed_out(what, timeout, last))
        await asyncio.sleep(interval)


async def _result(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


def _timed_out(what: str, timeout: float, last: object) -> str:
    seen = repr(last)
    if len(seen) > 2000:
        seen = seen[:2000] + "..."
    return f"timed out after {timeout:g}s waiting for {what}; last seen: {seen}"


def wait_for_port(port: int, what: str, *, host: str = "127.0.0.1", timeout: float = 15.0) -> None:
    """Until something accepts TCP connections on host:port."""

    def answers() -> bool:
        socket.create_connection((host, port), timeout=0.2).close()
        return True

    wait_for(
        answers, f"{what} to listen on {host}:{port}", timeout=timeout, interval=0.05, ignoring=(OSError,)
    )


def wait_for_socket(
    proc: subprocess.Popen[Any], path: Path, what: str, *, log: Path, timeout: float = 30.0
) -> None:
    """Until a starting server accepts connections on its Unix socket (the file appears when
    it binds, a little before it listens); fails with the end of its log at once if it exits
    first."""

    def listening() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: " + log.read_text()[-3000:])
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(path))
        return True

    try:
        wait_for(
            listening,
            f"{what} to listen on {path}",
            timeout=timeout,
            interval=0.05,
            ignoring=(FileNotFoundError, ConnectionRefusedError),
        )
    except AssertionError as err:
        raise AssertionError(f"{err}\n{log.read_text()[-3000:]}") from None


class Lines:
    """What a child prints on one of its pipes, collected line by line on a thread of its own,
    so a test can wait for a line without blocking on a read that may never return."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate: Callable[[str], bool], what: str, *, timeout: float = 30.0) -> str:
        """The first line `predicate` holds for, once the child has printed it."""

        def printed() -> str | None:
            return next((line for line in self.lines if predicate(line)), None)

        try:
            return wait_for(printed, what, timeout=timeout, interval=0.05)
        except AssertionError as err:
            raise AssertionError(f"{err}; printed: {self.lines[-20:]}") from None
