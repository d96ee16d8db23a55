"""Process lifetimes: running a component until a signal stops it, and tying a child's life to
its parent's.

`kubelite up` starts each component as a child process. However `up` ends - Ctrl-C, SIGTERM,
or SIGKILL, which it cannot catch - its components must end with it, or a stale API server
keeps the port and the store. `exit_with_parent()` is the pre-exec hook that asks the kernel to
send the child SIGTERM when its parent dies (PR_SET_PDEATHSIG), so the child stops exactly as
it would on a normal `up` stop. The setting survives exec and is not inherited by the child's
own children: containers, which outlive their runtime by design, are not affected.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import subprocess
from collections.abc import Callable, Coroutine
from typing import Any

_PR_SET_PDEATHSIG = 1


async def run_until_signalled(main: Coroutine[Any, Any, Any]) -> int:
    """Run `main`; SIGINT/SIGTERM cancel it (its own cleanup runs). Returns 0."""
    task = asyncio.create_task(main)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass
    return 0


def stop_process(proc: subprocess.Popen[Any] | None, grace: float = 10.0) -> None:
    """Stop a child process: SIGTERM, then SIGKILL if it has not exited within `grace` seconds.
    Returns once it is reaped; a process that already exited is left alone."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def exit_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` that makes the child receive `sig` when the process starting it dies.

    Everything is resolved before the fork, so the child runs no more than two system calls
    between fork and exec. If the parent died before the setting took effect, the child
    exits at once instead of running orphaned.
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec
