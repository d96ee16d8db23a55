"""One-time tokens for streaming requests, as the kubelet's streaming request cache keeps them.

`insert(request)` stores a CRI Exec/Attach/PortForward request under a fresh random
token; `consume(token)` hands it out once and forgets it. Tokens expire after `ttl`
seconds (a minute, like Kubernetes'), and at most `max_in_flight` are kept, so a client
that asks for URLs and never opens them cannot grow the cache without bound.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from typing import Generic, TypeVar

from kubelite.cri.errors import CRIError
from kubelite.util.clock import Clock, RealClock

T = TypeVar("T")


class TooManyRequests(CRIError):
    pass


class RequestCache(Generic[T]):
    def __init__(self, *, ttl: float = 60.0, max_in_flight: int = 1000, clock: Clock | None = None) -> None:
        self._ttl = ttl
        self._max = max_in_flight
        self._clock = clock or RealClock()
        self._entries: OrderedDict[str, tuple[float, T]] = OrderedDict()

    def _expire(self) -> None:
        now = self._clock.now()
        while self._entries:
            token, (deadline, _) = next(iter(self._entries.items()))
            if deadline > now:
                break
            del self._entries[token]

    def insert(self, request: T) -> str:
        self._expire()
        if len(self._entries) >= self._max:
            raise TooManyRequests("too many streaming requests in flight")
        token = secrets.token_urlsafe(8)
        self._entries[token] = (self._clock.now() + self._ttl, request)
        return token

    def consume(self, token: str) -> T | None:
        """The request stored under `token`, once; None if unknown, used or expired."""
        self._expire()
        entry = self._entries.pop(token, None)
        return entry[1] if entry else None

    def __len__(self) -> int:
        return len(self._entries)
