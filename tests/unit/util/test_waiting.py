"""Waiting on a condition (kubelite.util.testing): the value that came true, or a failure that
says what was awaited and what was seen last; unexpected errors are not mistaken for "not yet"."""

from __future__ import annotations

import asyncio
import io

import pytest

from kubelite.api.errors import NotFound
from kubelite.util.testing import Lines, wait_for, wait_for_async


def test_the_first_truthy_value_is_returned():
    answers = iter([None, [], {"phase": "Running"}])
    assert wait_for(lambda: next(answers), "the pod", interval=0) == {"phase": "Running"}


def test_a_timeout_names_what_was_awaited_and_the_last_value_seen():
    with pytest.raises(AssertionError) as err:
        wait_for(lambda: [], "the pod to run", timeout=0)
    assert str(err.value) == "timed out after 0s waiting for the pod to run; last seen: []"


def test_an_unexpected_error_fails_at_once():
    calls = []

    def probe():
        calls.append(1)
        raise KeyError("status")

    with pytest.raises(KeyError):
        wait_for(probe, "the pod", timeout=60)
    assert calls == [1]


def test_an_expected_error_means_not_yet_and_is_reported_last():
    answers = iter([NotFound('pods "p" not found'), "found"])

    def probe():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert wait_for(probe, "the pod", interval=0, ignoring=(NotFound,)) == "found"

    def missing():
        raise NotFound('pods "p" not found')

    with pytest.raises(AssertionError, match="last seen: NotFound"):
        wait_for(missing, "the pod", timeout=0, ignoring=(NotFound,))


async def test_the_async_form_takes_coroutines_and_plain_functions():
    async def ready():
        return "ready"

    assert await wait_for_async(ready, "ready") == "ready"
    assert await wait_for_async(lambda: 7, "seven") == 7
    with pytest.raises(AssertionError, match="waiting for nothing; last seen: None"):
        await wait_for_async(lambda: None, "nothing", timeout=0)


async def test_with_no_interval_the_loop_runs_other_tasks_between_probes():
    done = []

    async def other():
        done.append(True)

    task = asyncio.create_task(other())
    assert await wait_for_async(lambda: done, "the other task", interval=0) == [True]
    await task


def test_lines_finds_a_line_once_it_is_printed():
    lines = Lines(io.StringIO("starting\nlistening on 8080\n"))
    assert lines.wait_for(lambda line: line.startswith("listening"), "listening") == "listening on 8080"
    with pytest.raises(AssertionError, match="printed: \\['starting', 'listening on 8080'\\]"):
        lines.wait_for(lambda line: "ready" in line, "ready", timeout=0)
