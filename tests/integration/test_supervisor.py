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


async def test_a_restart_moves_a_component_off_a_port_another_process_took(tmp_path: Path):
    """A component that exits while another process takes its port would otherwise fail to
    listen at every restart; it is started again on a free port instead."""
    import socket

    from kubelite.util.net import free_port

    taken = free_port()
    seen = tmp_path / "ports"
    script = f"import sys; open({str(seen)!r}, 'a').write(sys.argv[2] + ' ')"
    c = Component(
        "server",
        [sys.executable, "-c", script, "--secure-port", str(taken)],
        done=lambda: len(seen.read_text().split()) >= 2,
        ports=(("--secure-port", "127.0.0.1"),),
    )
    with socket.socket() as holder:  # another process's listener on the port
        holder.bind(("127.0.0.1", taken))
        holder.listen()
        await asyncio.wait_for(supervise(c, asyncio.Event(), "test"), 30)
    first, second = seen.read_text().split()
    assert first == str(taken) and second != first
    assert c.argv[-1] == second
