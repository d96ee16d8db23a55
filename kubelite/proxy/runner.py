"""The bounded frequency runner: kube-proxy's sync loop, rate limited both ways.

    run() requests ──▶ ┌───────────────────────────────────────────────────┐
    (every change)     │ wait for a request, a retry or max_interval       │
                       │ then wait until min_interval after the last run    │──▶ fn()
                       └───────────────────────────────────────────────────┘
                                         ▲ retry_after(d): run again within d

Requests arriving while a run waits or works coalesce into one later run, so a burst of
changes costs one sync after `--iptables-min-sync-period`, and with no changes the rules
are still rewritten every `--iptables-sync-period` (repairing anything else touched
them). A failed sync asks for a retry. Time is the injected clock's.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable, Callable

from kubelite.util.clock import Clock, RealClock


class BoundedFrequencyRunner:
    def __init__(
        self,
        fn: Callable[[], Awaitable[None]],
        *,
        min_interval: float,
        max_interval: float,
        clock: Clock | None = None,
    ) -> None:
        self._fn = fn
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.clock = clock or RealClock()
        self._requested = False
        self._wake = asyncio.Event()  # a request or a new retry time: look again
        self._retry_at = math.inf
        self.last_run = -math.inf
        self.runs = 0

    def run(self) -> None:
        """Ask for a run as soon as min_interval allows; never blocks, coalesces."""
        self._requested = True
        self._wake.set()

    def retry_after(self, seconds: float) -> None:
        """Run again within `seconds` (a failed sync), whatever else happens."""
        self._retry_at = min(self._retry_at, self.clock.now() + seconds)
        self._wake.set()

    async def loop(self) -> None:
        """Run `fn` as requested until cancelled; the first run happens at once."""
        self._requested = True
        while True:
            while not self._requested:
                timeout = min(self.last_run + self.max_interval, self._retry_at) - self.clock.now()
                if timeout <= 0:
                    break
                self._wake.clear()
                await self._wait_wake(timeout)
            earliest = self.last_run + self.min_interval
            if self.clock.now() < earliest:
                await self.clock.sleep(earliest - self.clock.now())
            self._requested = False
            self._retry_at = math.inf
            self.last_run = self.clock.now()
            self.runs += 1
            await self._fn()

    async def _wait_wake(self, timeout: float) -> None:
        waiter = asyncio.ensure_future(self._wake.wait())
        timer = asyncio.ensure_future(self.clock.sleep(timeout))
        try:
            await asyncio.wait({waiter, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (waiter, timer):
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await t
