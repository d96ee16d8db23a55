"""Pods and containers through the CRI with real runc and CNI: networking, logs, exit codes,
exec, OOM, stop with grace, and a runtime restart with containers running."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import is_not_found
from kubelite.cri.testing import container_config, run_container, sandbox_config, wait_exited
from kubelite.util.testing import wait_for_async

SERVE = "mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www"


async def test_containers_of_a_pod_share_localhost_and_other_pods_reach_it_by_ip(cri, image, tmp_path):
    web_cfg = sandbox_config("web", str(tmp_path / "logs-web"))
    web = await cri.run_pod_sandbox(web_cfg)
    status = (await cri.pod_sandbox_status(web)).status
    assert status.state == pb.SANDBOX_READY and re.fullmatch(r"10\.\d+\.\d+\.\d+", status.network.ip)
    await run_container(cri, web, web_cfg, container_config("server", image, SERVE))
    side = await run_container(cri, web, web_cfg, container_config("side", image, "exec sleep 300"))
    got = b""
    for _ in range(50):
        r = await cri.exec_sync(side, ["wget", "-q", "-O-", "http://127.0.0.1:8080/"], timeout=5)
        if r.exit_code == 0:
            got = r.stdout
            break
        await asyncio.sleep(0.1)
    assert got == b"hello-from-web\n"

    client_cfg = sandbox_config("client")
    client = await cri.run_pod_sandbox(client_cfg)
    probe = await run_container(cri, client, client_cfg, container_config("probe", image, "exec sleep 300"))
    r = await cri.exec_sync(probe, ["wget", "-q", "-O-", f"http://{status.network.ip}:8080/"], timeout=5)
    assert (r.exit_code, r.stdout) == (0, b"hello-from-web\n")

    await cri.stop_pod_sandbox(web)
    assert (await cri.pod_sandbox_status(web)).status.state == pb.SANDBOX_NOTREADY
    await cri.remove_pod_sandbox(web)
    await cri.remove_pod_sandbox(client)
    with pytest.raises(Exception) as err:
        await cri.pod_sandbox_status(web)
    assert is_not_found(err.value)
    assert await cri.list_pod_sandbox() == []


async def test_exit_codes_reasons_and_cri_format_logs(cri, image, tmp_path):
    cfg = sandbox_config("exits", str(tmp_path / "logs"))
    sid = await cri.run_pod_sandbox(cfg)
    ok = await run_container(cri, sid, cfg, container_config("ok", image, "echo out; echo err >&2"))
    bad = await run_container(cri, sid, cfg, container_config("bad", image, "exit 3"))
    st_ok, st_bad = await wait_exited(cri, ok), await wait_exited(cri, bad)
    assert (st_ok.exit_code, st_ok.reason) == (0, "Completed")
    assert (st_bad.exit_code, st_bad.reason) == (3, "Error")
    # containerd stamps a very short process's exit before its start returned: only order
    # against creation holds on every runtime.
    assert st_ok.finished_at > st_ok.created_at > 0 and st_ok.started_at > st_ok.created_at
    lines = (tmp_path / "logs" / "ok.log").read_text().splitlines()
    # RFC 3339 with nanoseconds; containerd (Go's RFC3339Nano) drops trailing zeros.
    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z (stdout|stderr) F (.*)"
    parsed = sorted(re.fullmatch(pattern, line).groups()[1:] for line in lines)
    assert parsed == [("stderr", "err"), ("stdout", "out")]
    await cri.remove_pod_sandbox(sid)


async def test_memory_limit_gets_a_container_oomkilled(cri, image):
    cfg = sandbox_config("oom")
    sid = await cri.run_pod_sandbox(cfg)
    hog = 'a=$(head -c 200000000 /dev/zero | tr "\\0" x); echo survived'
    cid = await run_container(cri, sid, cfg, container_config("hog", image, hog, memory=32 * 1024 * 1024))
    st = await wait_exited(cri, cid, timeout=60)
    assert st.reason == "OOMKilled" and st.exit_code == 137
    await cri.remove_pod_sandbox(sid)


async def test_stop_sends_sigterm_first_then_sigkill_after_the_grace_period(cri, image):
    cfg = sandbox_config("grace")
    sid = await cri.run_pod_sandbox(cfg)
    # Each shell says when its trap is set: a SIGTERM before that would end it either way.
    loop = "touch /trapped; while true; do sleep 0.1; done"
    polite = await run_container(
        cri, sid, cfg, container_config("polite", image, f"trap 'exit 0' TERM; {loop}")
    )
    stubborn = await run_container(
        cri, sid, cfg, container_config("stubborn", image, f"trap '' TERM; {loop}")
    )
    for cid in (polite, stubborn):
        await wait_for_async(
            lambda cid=cid: _has_file(cri, cid, "/trapped"), f"the shell in {cid} to set its trap"
        )
    await cri.stop_container(polite, 10)
    st = (await cri.container_status(polite)).status
    assert (st.state, st.exit_code) == (pb.CONTAINER_EXITED, 0)
    await cri.stop_container(stubborn, 1)
    st = (await cri.container_status(stubborn)).status
    assert (st.state, st.exit_code) == (pb.CONTAINER_EXITED, 137)
    await cri.stop_container(stubborn, 1)  # idempotent
    await cri.remove_container(stubborn)
    assert [c.id for c in await cri.list_containers()] == [polite]
    await cri.remove_pod_sandbox(sid)


async def _has_file(cri, cid: str, path: str) -> bool:
    return (await cri.exec_sync(cid, ["test", "-f", path], timeout=5)).exit_code == 0


def _exited(pid: int) -> bool:
    """The process is gone, or a zombie waiting for its parent to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


async def test_exec_sync_returns_output_and_exit_code(cri, image):
    cfg = sandbox_config("exec")
    sid = await cri.run_pod_sandbox(cfg)
    cid = await run_container(cri, sid, cfg, container_config("main", image, "exec sleep 300"))
    r = await cri.exec_sync(
        cid, ["sh", "-c", "echo $HOSTNAME; cat /etc/hostname; echo e >&2; exit 7"], timeout=10
    )
    assert (r.stdout, r.stderr, r.exit_code) == (b"exec\nexec\n", b"e\n", 7)
    stats = await cri.container_stats(cid)
    assert stats.memory.working_set_bytes.value > 0 and stats.cpu.usage_core_nano_seconds.value > 0
    await cri.remove_pod_sandbox(sid)


async def test_runtime_restart_keeps_containers_running_and_finds_them_again(
    cri, image, runtime_process, tmp_path
):
    cfg = sandbox_config("survivor", str(tmp_path / "logs"))
    sid = await cri.run_pod_sandbox(cfg)
    ip = (await cri.pod_sandbox_status(sid)).status.network.ip
    runner = await run_container(
        cri, sid, cfg, container_config("runner", image, "while true; do echo tick; sleep 0.2; done")
    )
    quitter = await run_container(cri, sid, cfg, container_config("quitter", image, "sleep 1; exit 5"))
    pid = json.loads((await cri.container_status(quitter, verbose=True)).info["info"])["pid"]
    runtime_process.stop()
    await wait_for_async(lambda: _exited(pid), "the quitter to exit while the runtime is away")
    runtime_process.start()
    assert (await cri.pod_sandbox_status(sid)).status.network.ip == ip
    assert (await cri.container_status(runner)).status.state == pb.CONTAINER_RUNNING
    st = (await cri.container_status(quitter)).status
    assert (st.state, st.exit_code, st.reason) == (pb.CONTAINER_EXITED, 5, "Error")
    r = await cri.exec_sync(runner, ["echo", "still here"], timeout=5)
    assert r.stdout == b"still here\n"
    await cri.stop_container(runner, 0)
    assert (await cri.container_status(runner)).status.exit_code == 137
    assert "tick" in (tmp_path / "logs" / "runner.log").read_text()
    await cri.remove_pod_sandbox(sid)
