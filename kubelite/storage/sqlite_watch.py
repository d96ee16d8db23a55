"""In-process watch fan-out for the SQLite store: live events, and replay from the log.

Who drives it: the store calls `WatchHub.publish` on the event-loop thread right after each
group commit, with that commit's events in revision order. Every watcher is an async
generator (`watch_stream`) that

1. subscribes to the hub, which notes `live_from`, the first revision the subscription
   will receive live (everything below it was already published, hence committed);
2. replays `[start_revision, live_from)` from the log in chunks;
3. then yields the subscription's buffered and future live events.

Subscribing and reading `published` happen in one step on the loop thread, so the switch
from replay to live has no gap and no duplicate.

Slow watchers never block writers. `publish` only appends to each subscription's buffer.
A subscription that falls more than `buffer_limit` events behind is dropped from live
fan-out and its buffer freed; its watcher then catches up from the log and subscribes
again, as etcd moves a slow watcher to its "unsynced" group. Memory stays bounded, and a
watcher that is slower than compaction gets CompactedError, as it would from etcd.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Awaitable, Callable

from .interface import CompactedError, Event

# Reads events with revisions in [start, end] under a prefix, at most a chunk of them.
# Returns the events and the first revision not yet read.
ReadLog = Callable[[str, int, int], Awaitable[tuple[list[Event], int]]]


class Subscription:
    """One watcher's live feed: a buffer the hub appends to, and a waiter to wake."""

    __slots__ = ("_buffer", "_limit", "_waiter", "closed", "dropped", "live_from", "prefix")

    def __init__(self, prefix: str, live_from: int, limit: int) -> None:
        self.prefix = prefix
        self.live_from = live_from
        self._buffer: collections.deque[Event] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._limit = limit
        self.dropped = False  # fell too far behind: catch up from the log
        self.closed = False  # the store closed: the watch ends

    def offer(self, events: list[Event]) -> bool:
        """Buffer the events under our prefix; False when over the limit (drop me)."""
        prefix = self.prefix
        added = False
        for event in events:
            if event.kv.key.startswith(prefix):
                self._buffer.append(event)
                added = True
        if not added:
            return True
        if len(self._buffer) > self._limit:
            self.dropped = True
            self._buffer.clear()
        self._wake()
        return not self.dropped

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def take(self) -> list[Event]:
        """The buffered events; waits for some. Empty once dropped or closed."""
        while not self._buffer and not (self.dropped or self.closed):
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        events = list(self._buffer)
        self._buffer.clear()
        return events


class WatchHub:
    """Fans committed events out to subscriptions; used on the event-loop thread only."""

    def __init__(self, published: int, *, buffer_limit: int) -> None:
        self.published = published  # the newest revision handed to subscribers
        self._buffer_limit = buffer_limit
        self._subs: set[Subscription] = set()
        self.closed = False

    def subscribe(self, prefix: str) -> Subscription:
        sub = Subscription(prefix, self.published + 1, self._buffer_limit)
        if self.closed:
            sub.close()
        else:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def publish(self, events: list[Event], revision: int) -> None:
        """Hand out one commit's events (revision order); `revision` is the commit's newest."""
        if events:
            dropped = [sub for sub in self._subs if not sub.offer(events)]
            self._subs.difference_update(dropped)
        self.published = max(self.published, revision)

    def close(self) -> None:
        self.closed = True
        for sub in self._subs:
            sub.close()
        self._subs.clear()


async def watch_stream(
    hub: WatchHub, prefix: str, start_revision: int, read_log: ReadLog, compact_revision: Callable[[], int]
) -> AsyncIterator[Event]:
    """Every event under `prefix` from `start_revision` (0 = from now) on; see module doc."""
    next_rev = start_revision or hub.published + 1
    while True:
        sub = hub.subscribe(prefix)
        try:
            while next_rev < sub.live_from and not sub.closed:
                _check_compacted(next_rev, compact_revision())
                events, read_to = await read_log(prefix, next_rev, sub.live_from - 1)
                # Compaction may have run during the read; rows at or above its revision
                # are never deleted, so the chunk is whole if we still start above it.
                _check_compacted(next_rev, compact_revision())
                for event in events:
                    yield event
                next_rev = read_to
            while True:
                events = await sub.take()
                if not events:
                    break
                for event in events:
                    if event.revision >= next_rev:
                        yield event
                        next_rev = event.revision + 1
            if sub.closed:
                return
        finally:
            hub.unsubscribe(sub)


def _check_compacted(revision: int, compacted: int) -> None:
    if revision < compacted:
        raise CompactedError(revision, compacted)
