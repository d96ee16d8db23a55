"""A harness for controller tests: a fake cluster, shared informers and virtual time.

    h = ControllerHarness()
    rs = ReplicaSetController(h.ctx)
    async with h.running(rs):
        await h.create("replicasets", {...}, group="apps")
        await h.settle()             # until every queue, watch and event writer is idle
        assert len(h.cluster.objects("pods", "default")) == 3
        await h.advance(30)          # 30 s of virtual time, settling along the way

Everything runs on one event loop with a `FakeClock`; no test sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from kubelite.api.types import Object
from kubelite.client.fakecluster import FakeCluster
from kubelite.client.informer import SharedInformerFactory
from kubelite.client.reconcile import Controller
from kubelite.controllers.context import ControllerContext, RunnableController
from kubelite.util.clock import FakeClock


def _parts(component: object) -> list[object]:
    """The component and its attributes' values, one level down."""
    parts = [component]
    for value in vars(component).values() if hasattr(component, "__dict__") else ():
        parts.append(value)
        parts += list(vars(value).values()) if hasattr(value, "__dict__") else []
    return parts


def _queues(component: object) -> list[Controller]:
    return [p for p in _parts(component) if isinstance(p, Controller)]


def _event_queues(component: object) -> list[asyncio.Queue[Any]]:
    return [p for p in _parts(component) if isinstance(p, asyncio.Queue)]


class ControllerHarness:
    def __init__(self, clock: FakeClock | None = None, *, workers: dict[str, int] | None = None) -> None:
        self.clock = clock or FakeClock()
        self.cluster = FakeCluster(self.clock)
        self.client = self.cluster.client()
        self.informers = SharedInformerFactory(self.client, clock=self.clock)
        self.ctx = ControllerContext(
            self.client,
            self.informers,
            self.clock,
            workers=dict(workers or {}),
            discover=self.cluster.discover,
        )
        self._controllers: list[Controller] = []
        self._event_queues: list[asyncio.Queue[Any]] = []

    @contextlib.asynccontextmanager
    async def running(self, *components: RunnableController) -> AsyncIterator[ControllerHarness]:
        """Start the informers, the event writers and `components`; stop them all after."""
        for c in components:
            self._controllers += _queues(c)
            self._event_queues += _event_queues(c)
        self.informers.start()
        tasks = [asyncio.ensure_future(r.run()) for r in self.ctx.recorders]
        readies = []
        for c in components:
            ready = asyncio.Event()
            readies.append(ready)
            tasks.append(asyncio.ensure_future(c.run(ready)))
        try:
            for ready in readies:
                while not ready.is_set():
                    await self.clock.settle()
                    for t in tasks:
                        if t.done():
                            t.result()  # a component that died: raise its error here
            await self.settle()
            yield self
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.informers.shutdown()

    def _idle(self) -> bool:
        if self.cluster.pending_events():
            return False
        if any(not r._queue.empty() for r in self.ctx.recorders):
            return False
        if any(not q.empty() for q in self._event_queues):
            return False
        return all(len(c.queue) == 0 and not c.queue.processing() for c in self._controllers)

    async def settle(self, rounds: int = 200) -> None:
        """Let every task run until nothing is queued or in progress (virtual time stands)."""
        quiet = 0
        for _ in range(rounds):
            await self.clock.settle()
            quiet = quiet + 1 if self._idle() else 0
            if quiet >= 2:
                return
        raise AssertionError("controllers did not settle")

    async def advance(self, seconds: float, step: float = 1.0) -> None:
        """Move virtual time on by `seconds` in steps, settling after each."""
        remaining = seconds
        while remaining > 0:
            await self.clock.advance(min(step, remaining))
            remaining -= step
            await self.settle()

    async def create(
        self, plural: str, obj: Object, *, group: str = "", namespace: str = "default"
    ) -> Object:
        return await self.client.resource(plural, group=group).create(obj, namespace=namespace)

    def events(self, reason: str | None = None, namespace: str | None = None) -> list[Object]:
        return [
            e for e in self.cluster.objects("events", namespace) if reason is None or e["reason"] == reason
        ]
