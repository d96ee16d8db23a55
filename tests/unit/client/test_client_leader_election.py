"""Leader election in virtual time: defaults, takeover, step-down, release."""

from __future__ import annotations

import asyncio

import pytest

from kubelite.client.leaderelection import LeaderElectionConfig, LeaderElector
from kubelite.client.testing import FakeClock, InMemoryLeaseLock


class Timeline:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.events: list[tuple[float, str, str]] = []

    def elector(self, identity: str, lock: InMemoryLeaseLock, **config: object) -> LeaderElector:
        async def lead() -> None:
            self.events.append((self.clock.now(), identity, "started"))
            await asyncio.Event().wait()

        return LeaderElector(
            LeaderElectionConfig(identity=identity, **config),
            lock,
            clock=self.clock,
            on_started_leading=lead,
            on_stopped_leading=lambda: self.events.append((self.clock.now(), identity, "stopped")),
        )

    def leaders_at_once(self) -> int:
        current, most = 0, 0
        for _, _, what in self.events:
            current += 1 if what == "started" else -1
            most = max(most, current)
        return most


def test_defaults_are_kubernetes_15_10_2():
    c = LeaderElectionConfig(identity="x")
    assert (c.lease_duration, c.renew_deadline, c.retry_period) == (15.0, 10.0, 2.0)
    with pytest.raises(ValueError):
        LeaderElectionConfig(identity="x", lease_duration=10, renew_deadline=10)


async def test_standby_takes_over_within_the_lease_duration_after_the_leader_dies():
    clock = FakeClock()
    lock = InMemoryLeaseLock()
    timeline = Timeline(clock)
    first = timeline.elector("a", lock, release_on_cancel=False)
    second = timeline.elector("b", lock)
    task_a = asyncio.ensure_future(first.run())
    await clock.advance(0.1)
    task_b = asyncio.ensure_future(second.run())
    await clock.advance(30)
    assert first.is_leader() and not second.is_leader() and second.leader == "a"

    task_a.cancel()  # a crash: no release, renewals simply stop
    died = clock.now()
    await clock.advance(0)
    renewed = lock.record.renew_time - (clock.wall() - clock.now())
    await clock.advance(15 + 2 * 4.4 + 0.1)  # a poll is up to 2.2 × 2 s
    assert second.is_leader() and lock.record.holder_identity == "b"
    took_over = [t for t, who, what in timeline.events if who == "b" and what == "started"][0]
    assert took_over - renewed <= 15 + 2 * 4.4 and took_over > died
    assert lock.record.leader_transitions == 1
    task_b.cancel()
    await asyncio.gather(task_a, task_b, return_exceptions=True)


async def test_leader_that_cannot_renew_steps_down_before_anyone_else_may_lead():
    clock = FakeClock()
    lock = InMemoryLeaseLock()
    timeline = Timeline(clock)
    leader = timeline.elector("a", lock)
    task = asyncio.ensure_future(leader.run())
    await clock.advance(5)
    assert leader.is_leader()
    lock.unreachable = True
    cut_off = clock.now()
    await clock.advance(12.5)
    assert task.done() and not leader.is_leader()
    stopped = [t for t, _, what in timeline.events if what == "stopped"][0]
    # Stopped within retry period + renew deadline of the last renewal: before the lease ends.
    assert stopped - cut_off <= 2 + 10 < 15


async def test_many_candidates_never_lead_together_and_release_hands_over_at_once():
    clock = FakeClock()
    lock = InMemoryLeaseLock()
    timeline = Timeline(clock)
    electors = [timeline.elector(name, lock) for name in "abcd"]
    tasks = [asyncio.ensure_future(e.run()) for e in electors]
    await clock.advance(20)
    assert sum(e.is_leader() for e in electors) == 1
    current = next(i for i, e in enumerate(electors) if e.is_leader())
    tasks[current].cancel()  # a clean stop: the lease is released
    await clock.advance(5)  # well under the 15 s lease: release made it free at once
    assert sum(e.is_leader() for e in electors) == 1
    assert timeline.leaders_at_once() == 1
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_stop_releases_the_lease_even_when_a_renewal_landed_unseen():
    clock = FakeClock()
    lock = InMemoryLeaseLock()
    timeline = Timeline(clock)
    leader = timeline.elector("a", lock)
    task = asyncio.ensure_future(leader.run())
    await clock.advance(1)
    assert leader.is_leader() and lock.record is not None
    # a renewal the server applied while its answer was lost to the stop: a newer version
    lock.version += 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert lock.record.holder_identity == ""
