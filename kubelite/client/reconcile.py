"""The shape of every kubelite controller: informers → workqueue → reconcile(key).

    informer handlers ──key──▶ WorkQueue ──get──▶ worker ──▶ reconcile(key)
           (enqueue only)        (one worker per key at a time)      │
                                   ▲   ok: forget(key)               │
                                   └── error: add_rate_limited(key) ◀┘
                                       Requeue(after=s): add_after(key, s)

A `Controller` owns the queue and its workers. Its `reconcile(key)` reads the informers'
caches, acts through the API, and must be safe to call at any time for any key (level
based: it compares desired with observed state, not "what just happened"). Outcomes:

- return None: done; the key's back-off is forgotten;
- return `Requeue(after)`: done for now, look again after `after` seconds (polling a
  condition that no watch event announces);
- raise `PermanentError`: logged, not retried (the object is wrong; a change to it will
  enqueue it again);
- raise anything else (`TemporaryError`, an APIError, a bug): retried with the queue's
  rate limiter (5 ms doubling to 1000 s per key, 10/s overall).

Feeding the queue: `watch(informer, key_of)` enqueues the keys an object maps to on every
add, update and delete; an update enqueues the keys of the old and of the new state, so an
object that moves from one owner to another wakes both. A controller that must do more
in its handlers (count what it expected to see, as the ReplicaSet controller's
expectations do) registers them itself and calls `track(informer)` so `run` still waits
for that cache.

`run(ready)` waits for the informers' caches, starts the workers, sets `ready`, and on
cancellation shuts the queue and lets the workers finish their current keys (bounded,
shielded drain).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import aiohttp

from kubelite.api.errors import APIError, Conflict
from kubelite.api.types import Object
from kubelite.client.informer import Handlers, SharedInformer
from kubelite.client.ratelimit import RateLimiter
from kubelite.client.store import object_key
from kubelite.client.workqueue import QueueMetrics, ShutDown, WorkQueue
from kubelite.util.clock import Clock, RealClock


@dataclass(slots=True, frozen=True)
class Requeue:
    after: float


class TemporaryError(Exception):
    """Expected to clear up (a dependency not ready yet): retry with back-off."""


class PermanentError(Exception):
    """Retrying cannot help until the object changes: log and drop the key."""


Reconcile = Callable[[str], Awaitable[Requeue | None]]


class Controller:
    def __init__(
        self,
        name: str,
        reconcile: Reconcile,
        *,
        workers: int = 1,
        clock: Clock | None = None,
        rate_limiter: RateLimiter | None = None,
        drain_timeout: float = 10.0,
        metrics: QueueMetrics | None = None,
    ) -> None:
        self.name = name
        self.reconcile = reconcile
        self.workers = workers
        self.clock = clock or RealClock()
        self.queue: WorkQueue[str] = WorkQueue(
            rate_limiter=rate_limiter, clock=self.clock, name=name, metrics=metrics
        )
        self.drain_timeout = drain_timeout
        self.log = logging.getLogger(f"kubelite.controller.{name}")
        self._informers: list[SharedInformer] = []

    def watch(
        self, informer: SharedInformer, key_of: Callable[[Object], Iterable[str]] | None = None
    ) -> None:
        """Enqueue keys for every change `informer` sees: the object's own key by default,
        or the keys `key_of(obj)` returns (an owner's key, the pods on a node, ...); an
        update enqueues the keys of both the old and the new state."""
        self.track(informer)
        keys = key_of or (lambda obj: (object_key(obj),))

        def enqueue(obj: Object) -> None:
            for key in keys(obj):
                self.queue.add(key)

        def update(old: Object, new: Object) -> None:
            for key in {*keys(old), *keys(new)}:
                self.queue.add(key)

        informer.add_event_handler(Handlers(add=enqueue, update=update, delete=enqueue))

    def track(self, informer: SharedInformer) -> None:
        """Wait for `informer`'s cache before starting workers (its handlers are the caller's)."""
        if informer not in self._informers:
            self._informers.append(informer)

    def enqueue(self, key: str) -> None:
        self.queue.add(key)

    def enqueue_after(self, key: str, delay: float) -> None:
        self.queue.add_after(key, delay)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Process keys until cancelled."""
        await asyncio.gather(*(i.wait_for_sync() for i in self._informers))
        workers = [asyncio.ensure_future(self._worker()) for _ in range(self.workers)]
        if ready is not None:
            ready.set()
        try:
            # asyncio.wait, not gather: cancelling run() must not cancel the workers mid-key.
            await asyncio.wait(workers)
        finally:
            self.queue.shut_down()
            await asyncio.shield(self._drain(workers))

    async def _drain(self, workers: list[asyncio.Task[None]]) -> None:
        try:
            await asyncio.wait_for(self.queue.drain(), self.drain_timeout)
        except TimeoutError:
            self.log.warning(
                "workers did not finish in time", extra={"keys": sorted(self.queue.processing())}
            )
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            try:
                await self.process(key)
            finally:
                self.queue.done(key)

    async def process(self, key: str) -> None:
        """Reconcile one key and tell the queue how it went."""
        try:
            result = await self.reconcile(key)
        except PermanentError as err:
            self.log.error("reconcile failed permanently: %s", err, extra={"key": key})
            self.queue.forget(key)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            # Expected outcomes (a stale cache's Conflict, a refusal from the server, the
            # server out of reach) are one line; only the unexpected gets its traceback.
            expected = isinstance(err, TemporaryError | Conflict)
            self.log.log(
                logging.INFO if expected else logging.WARNING,
                "reconcile failed, will retry: %s",
                err,
                extra={"key": key, "retries": self.queue.num_requeues(key)},
                exc_info=not (expected or isinstance(err, APIError | aiohttp.ClientError | OSError)),
            )
            self.queue.add_rate_limited(key)
        else:
            self.queue.forget(key)
            if result is not None:
                self.queue.add_after(key, result.after)
