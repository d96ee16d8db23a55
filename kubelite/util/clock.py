"""Time as a dependency: a `Clock` Protocol, the real clock, and a fake one for tests.

Every timer that matters (workqueue back-offs, lease renewals, informer resyncs, grace
periods) reads an injected `Clock` instead of `time` and `asyncio.sleep`, so a test can run
minutes of protocol in microseconds with `FakeClock.advance` (the idea of trio's MockClock).

`now()` is a monotonic reading in seconds for measuring intervals; `wall()` is the wall
clock (seconds since the epoch) for timestamps written into API objects.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds; only differences are meaningful."""
        ...

    def wall(self) -> float:
        """Seconds since the Unix epoch, for timestamps in objects."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return after `seconds` of this clock's time; cancellable."""
        ...


class RealClock:
    """The process's clocks and the event loop's timers."""

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that moves only when a test calls `advance` (or `run_until_idle`).

    Sleepers wake in deadline order; `advance` lets every task that became runnable run
    before returning, so after `await clock.advance(5)` the world looks as it would 5 s
    later.
    """

    def __init__(self, start: float = 1000.0, wall_start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._wall_offset = wall_start - start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._now + self._wall_offset

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), fut))
        await fut

    def next_deadline(self) -> float | None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    async def settle(self) -> None:
        """Let runnable tasks run until they all wait on something."""
        for _ in range(20):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, waking sleepers in order along the way."""
        target = self._now + seconds
        await self.settle()
        while (deadline := self.next_deadline()) is not None and deadline <= target:
            self._now = max(self._now, deadline)
            while self._sleepers and self._sleepers[0][0] <= self._now:
                _, _, fut = heapq.heappop(self._sleepers)
                if not fut.done():
                    fut.set_result(None)
            await self.settle()
        self._now = target
        await self.settle()
