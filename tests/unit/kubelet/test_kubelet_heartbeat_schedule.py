"""Heartbeats at a fixed rate, and simulated nodes spread evenly over the interval."""

from __future__ import annotations

import asyncio
from typing import Any

from kubelite.kubelet.lease import NodeLease
from kubelite.kubelet.simulated.kubelet import slot_delay
from kubelite.kubelet.testing import FakeAPI
from kubelite.util.clock import FakeClock


class _SlowLeases:
    """The lease resource of a FakeAPI whose every write takes `seconds` of clock time."""

    def __init__(self, inner: Any, clock: FakeClock, seconds: float, log: list[float]) -> None:
        self.inner, self.clock, self.seconds, self.log = inner, clock, seconds, log

    async def create(self, obj: Any, **kw: Any) -> Any:
        self.log.append(self.clock.now())
        await self.clock.sleep(self.seconds)
        return await self.inner.create(obj, **kw)

    async def update(self, obj: Any, **kw: Any) -> Any:
        self.log.append(self.clock.now())
        await self.clock.sleep(self.seconds)
        return await self.inner.update(obj, **kw)


async def test_a_slow_renewal_does_not_stretch_the_period():
    api, clock = FakeAPI(), FakeClock(start=0.0)
    started: list[float] = []
    lease = NodeLease(api, "box", clock=clock)
    lease.leases = _SlowLeases(lease.leases, clock, 3.0, started)  # type: ignore[assignment]
    task = asyncio.create_task(lease.run(first_delay=1.0))
    await clock.advance(45)
    assert started == [1.0, 11.0, 21.0, 31.0, 41.0]  # every 10 s, not every 13 s
    task.cancel()


async def test_first_renewal_after_first_delay_then_every_interval():
    api, clock = FakeAPI(), FakeClock(start=0.0)
    lease = NodeLease(api, "box", clock=clock)
    task = asyncio.create_task(lease.run(first_delay=2.5))
    await clock.advance(2)
    assert lease.renewals == 0
    await clock.advance(1)
    assert lease.renewals == 1
    await clock.advance(10)
    assert lease.renewals == 2
    task.cancel()


def test_simulated_nodes_own_evenly_spread_slots_of_the_interval():
    assert [slot_delay(i, 4, 100.0, 10.0, 100.0) for i in range(4)] == [0.0, 2.5, 5.0, 7.5]
    # Registered 3 s after the start: a slot already passed waits for the next period's.
    assert [slot_delay(i, 4, 100.0, 10.0, 103.0) for i in range(4)] == [7.0, 9.5, 2.0, 4.5]
