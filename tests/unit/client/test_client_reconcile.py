"""The reconcile base: retries with back-off, requeues on request, gives up on permanent
errors, in virtual time (kubelite.client.reconcile)."""

from __future__ import annotations

import asyncio

from kubelite.client.reconcile import Controller, PermanentError, Requeue
from kubelite.util.clock import FakeClock


async def test_controller_retries_with_back_off_forgets_on_success_and_requeues_on_request():
    clock = FakeClock()
    calls: list[tuple[str, float]] = []
    outcomes = {
        "flaky": [RuntimeError("boom"), RuntimeError("boom"), None],
        "poll": [Requeue(after=60), None],
        "bad": [PermanentError("spec is wrong")],
    }

    async def reconcile(key: str) -> Requeue | None:
        calls.append((key, clock.now()))
        outcome = outcomes[key].pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    controller = Controller("test", reconcile, workers=2, clock=clock)
    for key in outcomes:
        controller.enqueue(key)
    ready = asyncio.Event()
    task = asyncio.ensure_future(controller.run(ready))
    await clock.advance(0.1)
    assert ready.is_set()
    await clock.advance(120)
    start = calls[0][1]
    flaky = [round(t - start, 3) for k, t in calls if k == "flaky"]
    assert flaky == [0.0, 0.005, 0.015]  # 5 ms, then 10 ms more
    assert [round(t - start) for k, t in calls if k == "poll"] == [0, 60]
    assert [k for k, _ in calls].count("bad") == 1
    assert controller.queue.num_requeues("flaky") == 0
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_server_out_of_reach_is_logged_in_one_line_and_a_bug_with_its_traceback(caplog):
    clock = FakeClock()
    raised = {"unreachable": ConnectionRefusedError(111, "Connect call failed"), "bug": KeyError("spec")}

    async def reconcile(key: str) -> None:
        err = raised.pop(key, None)
        if err is not None:
            raise err

    controller = Controller("test", reconcile, clock=clock)
    controller.enqueue("unreachable")
    controller.enqueue("bug")
    with caplog.at_level("INFO", logger="kubelite.controller.test"):
        task = asyncio.ensure_future(controller.run())
        await clock.advance(1)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    failed = {r.key: r for r in caplog.records if r.getMessage().startswith("reconcile failed")}
    assert not failed["unreachable"].exc_info
    assert failed["bug"].exc_info and failed["bug"].exc_info[0] is KeyError
