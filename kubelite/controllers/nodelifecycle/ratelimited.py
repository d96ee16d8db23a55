"""The per-zone queue of nodes waiting for their NoExecute taint, drained at a limited rate.

    markNodeForTainting ──add(node)──▶ RateLimitedTimedQueue ──try_each(fn)──▶ fn(node)
                                       (one per zone; FIFO     │  a token per node, from a
                                        by due time)           │  bucket of `qps` with burst 1
                                                               ▼
                                       fn → done: leaves the queue, stays a member
                                       fn → retry after w: due again w later

Tainting a node NoExecute is what evicts its pods (through the taint eviction
controller), so the rate at which nodes are tainted is the eviction rate of the zone:
--node-eviction-rate in a healthy zone, --secondary-node-eviction-rate or 0 in an unhealthy
one (`swap_limiter`). As in Kubernetes, a node stays a member after it was tainted, so
adding it again is a no-op until `remove` (the node became Ready, or lost its taint).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kubelite.util.clock import Clock

BURST = 1  # Kubernetes' EvictionRateLimiterBurst


class TokenBucket:
    """`qps` tokens a second, at most `burst` saved; qps 0 never gives one."""

    def __init__(self, qps: float, clock: Clock, burst: int = BURST) -> None:
        self.qps = qps
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst) if qps > 0 else 0.0
        self._at = clock.now()

    def _refill(self) -> None:
        now = self.clock.now()
        if self.qps > 0:
            self.tokens = min(float(self.burst), self.tokens + (now - self._at) * self.qps)
        self._at = now

    def try_accept(self) -> bool:
        self._refill()
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def saturated(self) -> bool:
        """No token to give now (a caller is waiting on this bucket)."""
        self._refill()
        return self.tokens < 1.0


@dataclass(order=True, slots=True)
class TimedValue:
    process_at: float
    seq: int
    value: str = field(compare=False)
    uid: str = field(compare=False)
    added_at: float = field(compare=False)


class RateLimitedTimedQueue:
    def __init__(self, qps: float, clock: Clock) -> None:
        self.clock = clock
        self.limiter = TokenBucket(qps, clock)
        self._heap: list[TimedValue] = []
        self._queued: dict[str, TimedValue] = {}
        self._members: set[str] = set()
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._queued)

    def add(self, value: str, uid: str) -> bool:
        """Queue `value` to be processed now; False if it is a member already."""
        if value in self._members:
            return False
        now = self.clock.now()
        item = TimedValue(now, next(self._seq), value, uid, now)
        self._members.add(value)
        self._queued[value] = item
        heapq.heappush(self._heap, item)
        return True

    def remove(self, value: str) -> bool:
        """Forget `value` (queued or already processed); True if it was a member."""
        self._queued.pop(value, None)
        if value in self._members:
            self._members.discard(value)
            return True
        return False

    def _head(self) -> TimedValue | None:
        while self._heap and self._queued.get(self._heap[0].value) is not self._heap[0]:
            heapq.heappop(self._heap)
        return self._heap[0] if self._heap else None

    async def try_each(self, fn: Callable[[TimedValue], Awaitable[tuple[bool, float]]]) -> None:
        """Process due values in order while the limiter gives tokens. `fn` returns (done, wait)."""
        while (head := self._head()) is not None:
            now = self.clock.now()
            if head.process_at > now or not self.limiter.try_accept():
                return
            heapq.heappop(self._heap)
            done, wait = await fn(head)
            if self._queued.get(head.value) is not head:
                continue  # removed (or re-added) while fn ran
            if done:
                del self._queued[head.value]
                continue
            retry = TimedValue(now + wait, next(self._seq), head.value, head.uid, head.added_at)
            self._queued[head.value] = retry
            heapq.heappush(self._heap, retry)

    def swap_limiter(self, qps: float) -> None:
        """Drain at `qps` from now on (0: not at all). A bucket someone waits on hands its
        wait on: the new bucket starts empty."""
        if qps == self.limiter.qps:
            return
        waiting = self.limiter.saturated()
        self.limiter = TokenBucket(qps, self.clock)
        if waiting:
            self.limiter.tokens = 0.0
