"""The workqueue: what controllers hand their keys to, with client-go's guarantees.

Informer handlers `add` keys; workers `get` a key, reconcile it, and call `done`. The
queue promises:

- a key waits in the queue at most once, however often it is added (adds coalesce);
- a key is never handed to two workers at once: while it is being processed, adding it
  only marks it dirty, and `done` puts it back so it is processed again *after*;
- keys come out in the order they were first added;
- `add_after(key, delay)` holds a key back; `add_rate_limited(key)` holds it back for as
  long as the rate limiter says (per-item exponential and an overall bucket by default),
  and `forget(key)` after a success resets its back-off.

        add ──▶ [dirty] ──queue──▶ get ──▶ [processing] ──done──▶ (dirty again? queue it)
                   ▲                            │
                   └──── add while processing ──┘  (remembered, not queued)

`shut_down()` makes `get` raise `ShutDown` once the queue is empty (items already queued
are still handed out, so workers can drain); `add` after shut-down is ignored. Time
(delays) comes from the injected clock; no background task is needed because `get`
itself waits for the earliest delayed key.

Metrics, as client-go's workqueue reports them, go to an optional `QueueMetrics` (the
process that serves /metrics supplies one): every add, how long an item waited in the
queue and how long its processing took, every rate-limited retry. The gauges (depth,
unfinished work, longest-running processor) are read from the queue when scraped.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import Hashable
from typing import Any, Generic, Protocol, TypeVar

from kubelite.client.ratelimit import RateLimiter, default_controller_rate_limiter
from kubelite.util.clock import Clock, RealClock

T = TypeVar("T", bound=Hashable)


class ShutDown(Exception):
    """The queue was shut down and has nothing left to hand out."""


class QueueEmpty(Exception):
    """`get_nowait` found nothing ready."""


class QueueMetrics(Protocol):
    """Where a queue reports what happens to its items. Called on the event loop; must not block."""

    def added(self) -> None:
        """An item entered the queue (client-go's adds_total)."""
        ...

    def taken(self, waited: float) -> None:
        """A worker took an item that had waited `waited` seconds (queue_duration_seconds)."""
        ...

    def finished(self, worked: float) -> None:
        """A worker finished an item after `worked` seconds (work_duration_seconds)."""
        ...

    def retried(self) -> None:
        """An item was re-added with the rate limiter's delay (retries_total)."""
        ...

    def attach(self, queue: WorkQueue[Any]) -> None:
        """The queue whose gauges (depth, unfinished work, longest-running processor) are
        read when the metrics are scraped; called once, by the queue's constructor."""
        ...


class WorkQueue(Generic[T]):
    def __init__(
        self,
        *,
        rate_limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        name: str = "",
        metrics: QueueMetrics | None = None,
    ) -> None:
        self.name = name
        self.clock = clock or RealClock()
        self.rate_limiter = rate_limiter or default_controller_rate_limiter(self.clock)
        self.metrics = metrics
        self._queued_at: dict[T, float] = {}
        self._started_at: dict[T, float] = {}
        if metrics is not None:
            metrics.attach(self)
        self._queue: deque[T] = deque()
        self._dirty: set[T] = set()
        self._processing: set[T] = set()
        self._waiting: list[tuple[float, int, T]] = []  # (ready at, seq, item) heap
        self._waiting_at: dict[T, float] = {}
        self._seq = itertools.count()
        self._shutting_down = False
        self._wakeup = asyncio.Event()

    # ---- adding ----

    def add(self, item: T) -> None:
        if self._shutting_down or item in self._dirty:
            return
        self._dirty.add(item)
        if self.metrics is not None:
            self.metrics.added()
            self._queued_at.setdefault(item, self.clock.now())
        if item not in self._processing:
            self._queue.append(item)
            self._notify()

    def add_after(self, item: T, delay: float) -> None:
        """Add `item` after `delay` seconds; an earlier pending time for it wins."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(item)
            return
        ready = self.clock.now() + delay
        if self._waiting_at.get(item, float("inf")) <= ready:
            return
        self._waiting_at[item] = ready
        heapq.heappush(self._waiting, (ready, next(self._seq), item))
        self._notify()

    def add_rate_limited(self, item: T) -> None:
        if self.metrics is not None:
            self.metrics.retried()
        self.add_after(item, self.rate_limiter.when(item))

    def forget(self, item: T) -> None:
        self.rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return self.rate_limiter.num_requeues(item)

    # ---- taking ----

    def get_nowait(self) -> T:
        """The next ready item (now processing), or QueueEmpty / ShutDown."""
        self._promote_ready()
        if self._queue:
            item = self._queue.popleft()
            self._processing.add(item)
            self._dirty.discard(item)
            if self.metrics is not None:
                now = self.clock.now()
                self.metrics.taken(now - self._queued_at.pop(item, now))
                self._started_at[item] = now
            return item
        if self._shutting_down:
            raise ShutDown(self.name)
        raise QueueEmpty(self.name)

    async def get(self) -> T:
        """Wait for the next item; it is yours until you call `done(item)`."""
        while True:
            wakeup = self._wakeup
            try:
                return self.get_nowait()
            except QueueEmpty:
                pass
            deadline = self._next_ready()
            if deadline is None:
                await wakeup.wait()
                continue
            waiter = asyncio.ensure_future(wakeup.wait())
            sleeper = asyncio.ensure_future(self.clock.sleep(deadline - self.clock.now()))
            try:
                await asyncio.wait((waiter, sleeper), return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                sleeper.cancel()

    def done(self, item: T) -> None:
        """Processing of `item` finished; if it was added meanwhile, queue it again."""
        self._processing.discard(item)
        if self.metrics is not None and (started := self._started_at.pop(item, None)) is not None:
            self.metrics.finished(self.clock.now() - started)
        if item in self._dirty:
            self._queue.append(item)
            self._notify()
        elif self._shutting_down and not self._processing:
            self._notify()

    # ---- lifecycle and introspection ----

    def shut_down(self) -> None:
        self._shutting_down = True
        self._waiting.clear()
        self._waiting_at.clear()
        self._notify()

    async def drain(self) -> None:
        """Wait until no item is being processed (after `shut_down`)."""
        while self._processing:
            wakeup = self._wakeup
            await wakeup.wait()

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def __len__(self) -> int:
        return len(self._queue)

    def processing(self) -> frozenset[T]:
        return frozenset(self._processing)

    def waiting(self) -> int:
        return len(self._waiting_at)

    def unfinished_work_seconds(self) -> float:
        """Seconds of work in progress not yet done, summed over workers (metrics only)."""
        now = self.clock.now()
        return sum(now - t for t in self._started_at.values())

    def longest_running_processor_seconds(self) -> float:
        """How long the longest-running worker has been at its item (metrics only)."""
        now = self.clock.now()
        return max((now - t for t in self._started_at.values()), default=0.0)

    # ---- internals ----

    def _notify(self) -> None:
        # Replace the event rather than clear it, so a waiter that captured the old one
        # cannot miss a wake-up that happens between its check and its wait.
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def _next_ready(self) -> float | None:
        while self._waiting and self._waiting_at.get(self._waiting[0][2]) != self._waiting[0][0]:
            heapq.heappop(self._waiting)  # superseded by an earlier time
        return self._waiting[0][0] if self._waiting else None

    def _promote_ready(self) -> None:
        now = self.clock.now()
        while (ready := self._next_ready()) is not None and ready <= now:
            _, _, item = heapq.heappop(self._waiting)
            del self._waiting_at[item]
            self.add(item)
