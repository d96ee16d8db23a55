"""The workqueue's promises, checked by hypothesis over arbitrary interleavings."""

from __future__ import annotations

import asyncio

import hypothesis.strategies as st
from hypothesis import given, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kubelite.client.ratelimit import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    default_controller_rate_limiter,
)
from kubelite.client.workqueue import QueueEmpty, ShutDown, WorkQueue
from kubelite.util.clock import FakeClock

KEYS = st.sampled_from(["a", "b", "c", "d"])


class QueueMachine(RuleBasedStateMachine):
    """Workers are names holding at most one key; the model says which keys are owed a run."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.queue: WorkQueue[str] = WorkQueue(clock=self.clock)
        self.held: dict[int, str] = {}  # worker → key it is processing
        self.owed: set[str] = set()  # added since its last get started
        self.delayed: dict[str, float] = {}  # key → earliest ready time

    def _mature(self) -> None:
        for key, ready in list(self.delayed.items()):
            if ready <= self.clock.now():
                self.owed.add(key)
                del self.delayed[key]

    @rule(key=KEYS)
    def add(self, key: str) -> None:
        self.queue.add(key)
        self.owed.add(key)

    @rule(key=KEYS, delay=st.floats(0.01, 10))
    def add_after(self, key: str, delay: float) -> None:
        self.queue.add_after(key, delay)
        ready = self.clock.now() + delay
        self.delayed[key] = min(ready, self.delayed.get(key, ready))

    @rule(seconds=st.floats(0, 5))
    def time_passes(self, seconds: float) -> None:
        self.clock._now += seconds

    @rule(worker=st.integers(0, 3))
    def get(self, worker: int) -> None:
        if worker in self.held:
            return
        self._mature()
        try:
            key = self.queue.get_nowait()
        except QueueEmpty:
            # Nothing ready means every owed key is being processed right now.
            assert self.owed <= set(self.held.values())
            return
        assert key not in self.held.values(), "one key handed to two workers"
        assert key in self.owed, "a key came out that nobody added"
        self.owed.discard(key)
        self.held[worker] = key

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def done(self, data: st.DataObject) -> None:
        worker = data.draw(st.sampled_from(sorted(self.held)))
        self.queue.done(self.held.pop(worker))

    @invariant()
    def a_queued_key_waits_only_once(self) -> None:
        assert len(self.queue._queue) == len(set(self.queue._queue))
        assert not (set(self.queue._queue) & set(self.held.values()))

    def teardown(self) -> None:
        # Finish everything and let every delay pass: each owed key must come out once more.
        for key in self.held.values():
            self.queue.done(key)
        self.clock._now += 100
        self._mature()
        drained = []
        while True:
            try:
                key = self.queue.get_nowait()
            except QueueEmpty:
                break
            drained.append(key)
            self.queue.done(key)
        assert self.owed <= set(drained)


TestQueueMachine = QueueMachine.TestCase
TestQueueMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(KEYS, st.integers(0, 3)), min_size=1, max_size=30))
def test_concurrent_workers_never_share_a_key_and_re_adds_run_after(plan):
    """Async workers with varying work times; adds arrive while keys are being processed."""

    async def scenario() -> None:
        clock = FakeClock()
        queue: WorkQueue[str] = WorkQueue(clock=clock)
        active: set[str] = set()
        runs: list[tuple[str, float, float]] = []
        added_at: dict[str, float] = {}

        async def worker() -> None:
            while True:
                try:
                    key = await queue.get()
                except ShutDown:
                    return
                assert key not in active
                active.add(key)
                start = clock.now()
                await clock.sleep(1 + len(key))
                active.discard(key)
                runs.append((key, start, clock.now()))
                queue.done(key)

        async with asyncio.TaskGroup() as tg:
            for _ in range(3):
                tg.create_task(worker())
            for key, gap in plan:
                queue.add(key)
                added_at[key] = clock.now()
                await clock.advance(gap)
            await clock.advance(100)
            queue.shut_down()
            await clock.advance(1)
        for key, when in added_at.items():
            # The last add of every key is followed by a run that started at or after it.
            assert any(k == key and start >= when for k, start, _ in runs)

    asyncio.run(scenario())


@given(st.lists(st.tuples(KEYS, st.booleans()), max_size=40))
def test_per_item_back_off_doubles_until_forgotten(ops):
    limiter = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    failures: dict[str, int] = {}
    for key, succeeded in ops:
        if succeeded:
            limiter.forget(key)
            failures.pop(key, None)
            continue
        n = failures.get(key, 0)
        assert limiter.when(key) == min(0.005 * 2**n, 1000.0)
        failures[key] = n + 1
        assert limiter.num_requeues(key) == n + 1


def test_per_item_back_off_is_capped():
    limiter = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    delays = [limiter.when("k") for _ in range(30)]
    assert delays[:3] == [0.005, 0.01, 0.02] and delays[-1] == 1000.0


def test_overall_bucket_allows_a_burst_then_ten_a_second():
    clock = FakeClock()
    bucket = BucketRateLimiter(10, 100, clock=clock)
    assert [bucket.when(i) for i in range(100)] == [0.0] * 100
    assert [round(bucket.when(i), 6) for i in range(100, 103)] == [0.1, 0.2, 0.3]
    clock._now += 10
    assert bucket.when("x") == 0.0


def test_default_limiter_takes_the_longer_delay():
    clock = FakeClock()
    limiter = default_controller_rate_limiter(clock)
    assert isinstance(limiter, MaxOfRateLimiter)
    assert limiter.when("k") == 0.005
    for _ in range(20):
        limiter.when("k")
    assert limiter.when("k") == min(0.005 * 2**21, 1000.0)
    limiter.forget("k")
    assert limiter.num_requeues("k") == 0


async def test_rate_limited_item_comes_back_after_its_delay_and_forget_resets():
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(clock=clock, rate_limiter=ItemExponentialFailureRateLimiter(1, 60))
    queue.add_rate_limited("k")
    queue.add_rate_limited("k")  # an earlier pending time wins: still ready after 1 s
    getter = asyncio.ensure_future(queue.get())
    await clock.advance(0.5)
    assert not getter.done()
    await clock.advance(0.6)
    assert getter.result() == "k"
    queue.done("k")
    assert queue.num_requeues("k") == 2
    queue.forget("k")
    assert queue.num_requeues("k") == 0


async def test_shut_down_hands_out_what_is_queued_then_stops():
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    queue.shut_down()
    queue.add("b")
    assert await queue.get() == "a"
    queue.done("a")
    try:
        await queue.get()
    except ShutDown:
        pass
    else:
        raise AssertionError("get after shut-down and drain must raise ShutDown")
