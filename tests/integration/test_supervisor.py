"""The supervisor `up` and `node join` share, on real child processes: a component that
exits is started again unless it is done, and its pre-exec hook runs in the child."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from kubelite.server.supervisor import Component, stop, supervise
from kubelite.util.testing import wait_for_async


async def test_an_exited_component_is_restarted_until_it_is_done(tmp_path: Path):
    runs = tmp_path / "runs"
    script = f"open({str(runs)!r}, 'a').write('x')"
    done_after = 2
    c = Component(
        "short", [sys.executable, "-c", script], done=lambda: runs.read_text().count("x") >= done_after
    )
    stopping = asyncio.Event()
    await asyncio.wait_for(supervise(c, stopping, "test"), 30)  # returns once done
    assert runs.read_text() == "x" * done_after
    assert c.restarts == done_after - 1


async def test_the_pre_exec_hook_runs_in_the_child_before_its_program(tmp_path: Path):
    marker = tmp_path / "marker"

    def hook() -> None:
        marker.write_text(str(os.getpid()))

    c = Component("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], preexec=hook)
    stopping = asyncio.Event()
    task = asyncio.create_task(supervise(c, stopping, "test"))
    await wait_for_async(lambda: c.process is not None and marker.exists(), "the hook's marker", timeout=30)
    assert c.process is not None
    assert int(marker.read_text()) == c.process.pid != os.getpid()
    stopping.set()
    await stop(c, grace=5)
    await asyncio.wait_for(task, 10)
