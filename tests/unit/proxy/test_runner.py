"""The bounded frequency runner in virtual time: bursts coalesce into one run after the
minimum period, an idle proxy still runs every maximum period, retries come early."""

from __future__ import annotations

import asyncio

from kubelite.proxy.runner import BoundedFrequencyRunner
from kubelite.util.clock import FakeClock


async def started(min_interval: float = 1.0, max_interval: float = 30.0):
    clock = FakeClock()
    times: list[float] = []

    async def fn() -> None:
        times.append(clock.now() - 1000.0)

    runner = BoundedFrequencyRunner(fn, min_interval=min_interval, max_interval=max_interval, clock=clock)
    task = asyncio.create_task(runner.loop())
    await clock.settle()
    return clock, runner, times, task


async def test_the_first_run_is_immediate_and_a_burst_of_requests_makes_one_run_after_the_minimum_period():
    clock, runner, times, task = await started()
    assert times == [0.0]
    for _ in range(50):
        runner.run()
        await clock.advance(0.01)
    await clock.advance(1.0)
    assert times == [0.0, 1.0]
    task.cancel()


async def test_without_requests_it_runs_every_maximum_period():
    clock, runner, times, task = await started(max_interval=30.0)
    await clock.advance(95.0)
    assert times == [0.0, 30.0, 60.0, 90.0]
    task.cancel()


async def test_a_request_after_a_quiet_spell_runs_at_once():
    clock, runner, times, task = await started()
    await clock.advance(10.0)
    runner.run()
    await clock.settle()
    assert times == [0.0, 10.0]
    task.cancel()


async def test_retry_after_runs_again_within_the_delay_even_without_a_request():
    clock, runner, times, task = await started(max_interval=30.0)
    runner.retry_after(5.0)
    await clock.advance(6.0)
    assert times == [0.0, 5.0]
    task.cancel()
