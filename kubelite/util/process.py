"""Running a component's main coroutine until SIGINT or SIGTERM asks it to stop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any


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
