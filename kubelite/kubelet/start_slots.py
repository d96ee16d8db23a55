"""Start slots: at most N pods being started (sandbox, containers) at once, earliest first.

A pod takes a ticket when its start step begins and holds a slot only while it asks the
runtime for heavy work (run the sandbox, create and start containers). Image pulls happen
outside the slot, so a slow or hanging pull delays only its own pod. A freed slot goes to
the waiting pod with the lowest ticket, so a pod that returns from a pull goes ahead of
pods that arrived after it (like a FIFO semaphore, but fair across a pause).

    slots = StartSlots(4)
    async with slots.claim(slots.ticket()) as slot:
        ...                          # holds a slot
        async with slot.released():  # e.g. around an image pull
            ...
        ...                          # holds it again (waited in ticket order)

Kubernetes' kubelet does not bound pod starts; its runtimes do the same work in less CPU.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class StartSlots:
    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []  # a heap by ticket
        self._tickets = itertools.count()

    def ticket(self) -> int:
        """A place in the arrival order."""
        return next(self._tickets)

    @property
    def waiting(self) -> int:
        """How many pods wait for a slot."""
        return sum(1 for _, fut in self._waiting if not fut.done())

    def claim(self, ticket: int) -> SlotClaim:
        """`async with` holds a slot for the block (waiting for one in ticket order)."""
        return SlotClaim(self, ticket)

    async def _acquire(self, ticket: int) -> None:
        if self._free > 0:  # then nobody waits: a release hands its slot to a waiter
            self._free -= 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (ticket, fut))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release()  # granted just as we were cancelled: pass it on
            elif (ticket, fut) in self._waiting:
                self._waiting.remove((ticket, fut))
                heapq.heapify(self._waiting)
            raise

    def _release(self) -> None:
        while self._waiting:
            _, fut = heapq.heappop(self._waiting)
            if not fut.done():  # done: its waiter was cancelled
                fut.set_result(None)
                return
        self._free += 1


class SlotClaim:
    """One pod's use of a start slot; it can let the slot go for a while and take it back."""

    def __init__(self, slots: StartSlots, ticket: int) -> None:
        self._slots = slots
        self._ticket = ticket
        self.held = False

    async def __aenter__(self) -> SlotClaim:
        await self._slots._acquire(self._ticket)
        self.held = True
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.held:
            self.held = False
            self._slots._release()

    @asynccontextmanager
    async def released(self) -> AsyncIterator[None]:
        """Without the slot for the block; back in it (by ticket) afterwards."""
        if not self.held:
            yield
            return
        self.held = False
        self._slots._release()
        try:
            yield
        finally:
            await self._slots._acquire(self._ticket)
            self.held = True
