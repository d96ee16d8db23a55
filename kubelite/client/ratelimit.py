"""How long a failed item waits before its next try: client-go's workqueue rate limiters.

A `RateLimiter` is asked `when(item)` each time an item fails and answers a delay; on
success the controller calls `forget(item)` so the next failure starts from the bottom
again. The default for controllers combines two:

- per item, exponential: 5 ms, 10 ms, 20 ms, ... up to 1000 s, so one broken object backs
  off on its own without slowing the others;
- overall, a token bucket of 10 retries a second with bursts of 100, so a storm of
  failures (the API server went away) cannot turn into a storm of requests;

and waits for the longer of the two (`MaxOf`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

from kubelite.client.flowcontrol import TokenBucket
from kubelite.util.clock import Clock


class RateLimiter(Protocol):
    def when(self, item: Hashable) -> float:
        """Record a failure of `item`; return the seconds to wait before retrying it."""
        ...

    def forget(self, item: Hashable) -> None:
        """`item` succeeded: clear its failure history. Idempotent."""
        ...

    def num_requeues(self, item: Hashable) -> int:
        """Failures recorded for `item` since it was last forgotten."""
        ...


class ItemExponentialFailureRateLimiter:
    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        exp = self._failures.get(item, 0)
        self._failures[item] = exp + 1
        if exp > 64:  # 2**64 * base overflows any sensible maximum
            return self.max_delay
        return float(min(self.base_delay * (2**exp), self.max_delay))

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)


class BucketRateLimiter:
    """An overall limit shared by every item: delays come from a token bucket."""

    def __init__(self, qps: float = 10.0, burst: int = 100, *, clock: Clock | None = None) -> None:
        self.bucket = TokenBucket(qps, burst, clock=clock)

    def when(self, item: Hashable) -> float:
        return self.bucket.reserve()

    def forget(self, item: Hashable) -> None:
        return None

    def num_requeues(self, item: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    """The longest delay any of its limiters asks for."""

    def __init__(self, *limiters: RateLimiter) -> None:
        self.limiters = limiters

    def when(self, item: Hashable) -> float:
        return max(limiter.when(item) for limiter in self.limiters)

    def forget(self, item: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)


def default_controller_rate_limiter(clock: Clock | None = None) -> RateLimiter:
    return MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(0.005, 1000.0), BucketRateLimiter(10.0, 100, clock=clock)
    )
