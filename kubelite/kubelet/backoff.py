"""Per-key exponential back-off on an injected clock (client-go's flowcontrol.Backoff).

`next(key)` doubles the key's delay (from `initial` up to `maximum`) and records when it
was asked; `in_backoff(key)` says whether that delay has not yet passed. A key left alone
for `reset_after` seconds starts again from `initial`: a container that crashed once an
hour is not punished like one crashing every second. The kubelet keys container restarts
by pod uid and container name (CrashLoopBackOff) and image pulls by image (ImagePullBackOff).

Container restarts date each failure by the container's exit (`next(key, at=...)`,
`backoff_since`), as Kubernetes does: the delay runs from the exit, and the back-off is
forgotten when an exit comes more than `reset_after` after the previous one.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from kubelite.util.clock import Clock


@dataclass(slots=True)
class _Entry:
    delay: float
    last: float


class Backoff:
    def __init__(
        self, clock: Clock, *, initial: float, maximum: float, reset_after: float | None = None
    ) -> None:
        self.clock = clock
        self.initial = initial
        self.maximum = maximum
        self.reset_after = reset_after if reset_after is not None else 2 * maximum
        self._entries: dict[Hashable, _Entry] = {}

    def next(self, key: Hashable, at: float | None = None) -> float:
        """Record a failure of `key` at `at` (default: now) and return the delay before it
        may be retried."""
        now = self.clock.now() if at is None else at
        e = self._entries.get(key)
        if e is None or now - e.last > self.reset_after:
            e = self._entries[key] = _Entry(self.initial, now)
        else:
            e.delay = min(e.delay * 2, self.maximum)
            e.last = now
        return e.delay

    def get(self, key: Hashable) -> float:
        """The key's current delay; 0 if it has none or it was quiet for `reset_after`."""
        e = self._entries.get(key)
        if e is None or self.clock.now() - e.last > self.reset_after:
            return 0.0
        return e.delay

    def backoff_since(self, key: Hashable, at: float) -> float:
        """The key's delay while it has not passed since a failure at `at`, else 0; also 0
        when that failure came `reset_after` after the one recorded last (client-go's
        IsInBackOffSince)."""
        e = self._entries.get(key)
        if e is None or at - e.last > self.reset_after or self.clock.now() - at >= e.delay:
            return 0.0
        return e.delay

    def in_backoff(self, key: Hashable) -> bool:
        """True while the delay recorded by the last `next(key)` has not passed."""
        return self.remaining(key) > 0

    def remaining(self, key: Hashable) -> float:
        e = self._entries.get(key)
        if e is None:
            return 0.0
        return max(0.0, e.last + e.delay - self.clock.now())

    def reset(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def forget_where(self, pred: object) -> None:
        for k in [k for k in self._entries if pred(k)]:  # type: ignore[operator]
            del self._entries[k]


class RetryDelay:
    """A single retry loop's delay: `initial` doubling to `maximum`, reset on success."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self._next = initial

    def failure(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay

    def success(self) -> None:
        self._next = self.initial


def go_duration(seconds: float) -> str:
    """`seconds` as Go's time.Duration prints it (500ms, 10s, 1m20s, 5m0s, 1h0m0s), for the
    messages Kubernetes writes with durations in them."""
    ns = abs(round(seconds * 1e9))
    sign = "-" if seconds < 0 and ns else ""
    if ns < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if ns >= size:
                return sign + _decimal(ns, size) + unit
        return "0s"
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    return (
        sign
        + (f"{hours}h" if hours else "")
        + (f"{minutes}m" if hours or minutes else "")
        + _decimal(rest, 10**9)
        + "s"
    )


def _decimal(n: int, unit: int) -> str:
    whole, frac = divmod(n, unit)
    digits = f"{frac:0{len(str(unit)) - 1}d}".rstrip("0") if frac else ""
    return f"{whole}.{digits}" if digits else str(whole)
