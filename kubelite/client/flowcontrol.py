"""Token buckets: the client's QPS/burst limit and the workqueue's overall retry limit.

A bucket holds up to `burst` tokens and gains `qps` tokens a second. `reserve()` takes a
token now (possibly going into debt) and returns how long the caller must wait before using
it, which is how both users need it: the REST client sleeps that long; the workqueue's
bucket rate limiter turns it into an item's retry delay (client-go's BucketRateLimiter,
10 qps / burst 100).
"""

from __future__ import annotations

from kubelite.util.clock import Clock, RealClock


class TokenBucket:
    def __init__(self, qps: float, burst: int, *, clock: Clock | None = None) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("a token bucket needs qps > 0 and burst >= 1")
        self.qps = qps
        self.burst = burst
        self._clock = clock or RealClock()
        self._tokens = float(burst)
        self._last = self._clock.now()

    def reserve(self) -> float:
        """Take one token; return the seconds to wait before it may be used (0 if now)."""
        now = self._clock.now()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def try_take(self) -> bool:
        """Take a token if one is available now; never goes into debt."""
        if self.reserve() > 0:
            self._tokens += 1.0  # refused: return the token reserve() took
            return False
        return True

    async def wait(self) -> None:
        """Wait for a token (FIFO among waiters, since each reserves its own slot)."""
        delay = self.reserve()
        if delay > 0:
            await self._clock.sleep(delay)


class Unlimited:
    """No limit: for tests and for clients that must never wait (the API server's loopback)."""

    def reserve(self) -> float:
        return 0.0

    async def wait(self) -> None:
        return None
