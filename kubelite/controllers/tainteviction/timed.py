"""Work that runs at a time: each pod's scheduled eviction, cancellable until it fires.

    schedule(key, created_at, fire_at) ── sleeps until fire_at ──▶ work(key)
    cancel(key) ─ True if a pending one was stopped
    scheduled(key) ─ the pending one (its created_at counts from the first taint it
                     waited for, so a new taint does not restart the wait)

As in Kubernetes' TimedWorkerQueue, a key whose work has run stays known (with nothing
pending) until it is cancelled: scheduling it again is a no-op until then, so a pod whose
deletion is in flight is not deleted twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.controllers.tainteviction")

Work = Callable[[str, float], Awaitable[None]]


@dataclass(slots=True)
class TimedWork:
    created_at: float
    fire_at: float
    task: asyncio.Task[None]
    fired: bool = False


class TimedWorkers:
    def __init__(self, work: Work, clock: Clock) -> None:
        self.work = work
        self.clock = clock
        self._workers: dict[str, TimedWork | None] = {}

    def scheduled(self, key: str) -> TimedWork | None:
        return self._workers.get(key)

    def pending(self) -> list[str]:
        return sorted(k for k, w in self._workers.items() if w is not None)

    def schedule(self, key: str, created_at: float, fire_at: float) -> None:
        if key in self._workers:
            log.debug("trying to add already existing work", extra={"key": key})
            return
        task = asyncio.ensure_future(self._run(key, fire_at))
        self._workers[key] = TimedWork(created_at, fire_at, task)

    async def _run(self, key: str, fire_at: float) -> None:
        await self.clock.sleep(fire_at - self.clock.now())
        worker = self._workers.get(key)
        if worker is not None:
            worker.fired = True  # from here on it runs to its end
        try:
            await self.work(key, fire_at)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.warning("scheduled work failed: %s", err, extra={"key": key})
            self._workers.pop(key, None)
            return
        if key in self._workers:
            self._workers[key] = None

    def cancel(self, key: str) -> bool:
        """Stop `key`'s pending work and forget it; True if some was pending."""
        if key not in self._workers:
            return False
        worker = self._workers.pop(key)
        if worker is None or worker.fired:
            return False
        worker.task.cancel()
        return True

    async def shutdown(self) -> None:
        tasks = [w.task for w in self._workers.values() if w is not None]
        self._workers.clear()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
