"""Streaming through the API server: exec round trips per second and log throughput.

    python bench/streaming_bench.py [--runtime kubelite|containerd] [--execs 100]
                                    [--concurrency 1,8] [--round-trips 1000] [--log-lines 100000]

Run as root with the e2e tools (scripts/install-deps). It starts a local registry holding
busybox, a runtime (kubelite's, or containerd configured as the e2e tests configure it) and
`kubelite up` with its local node on that runtime (the harness of tests/e2e/streaming), then
measures, every request going client → API server → kubelet (HTTPS) → runtime streaming server:

- exec sessions: `true` run to its exit code, one session after another (or C at once), over
  WebSocket v5 (kubectl ≥ 1.30) and SPDY/3.1 (kubectl ≤ 1.29); sessions/s (each closed before
  the next) and p50/p99 latency to the exit code.
- round trips in one session: a line written to `cat`'s stdin and read back from its stdout,
  the next line only after the previous one came back (what an interactive shell costs).
- log follow: `kubectl logs -f`'s request (pods/log?follow=true) open while the container
  writes N lines of 100 bytes to its stdout; MB/s from the first write to the last line read.
- log read: the same log read whole (pods/log without follow); MB/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import ssl
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from kubelite.client.config import ClientConfig, load_kubeconfig
from kubelite.cri import remotecommand as rc
from kubelite.cri import remotecommand_spdy as rcs
from kubelite.image.testing import LocalRegistry, build_busybox_layout
from kubelite.kubelet.cgroups import remove_cgroup
from kubelite.runtime.testing import (
    ContainerdProcess,
    RuntimeProcess,
    push_pause_image,
    remove_all_sandboxes,
    set_pod_cidr,
)
from kubelite.server.testing import UpCluster
from kubelite.util.testing import wait_for

POD = "bench"
LINE = b"x" * 99 + b"\n"  # one 100-byte log line
Row = tuple[str, str, str, str]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


class Streams:
    """Exec sessions and log requests on the pod `bench`, through the API server."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        context = config.ssl_context()
        assert isinstance(context, ssl.SSLContext)
        self.ssl = context
        token = config.bearer_token()
        self.headers = [("Authorization", f"Bearer {token}")] if token else []
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=context, limit=64), headers=dict(self.headers)
        )
        self.pod_url = f"{config.server}/api/v1/namespaces/default/pods/{POD}"

    async def close(self) -> None:
        await self.http.close()

    def exec_url(self, command: list[str], *, stdin: bool = False) -> str:
        query = [("command", c) for c in command]
        query += [("stdin", str(stdin).lower()), ("stdout", "true"), ("stderr", "true")]
        return f"{self.pod_url}/exec?{urlencode(query)}"

    async def exec_websocket(self) -> float:
        """One `true` session; seconds until its exit code arrived (closing comes after)."""
        t0 = time.perf_counter()
        async with rc.RemoteCommand(self.exec_url(["true"]), protocols=(rc.V5,), session=self.http) as s:
            result = await s.wait()
            elapsed = time.perf_counter() - t0
        assert result.exit_code == 0, result.status
        return elapsed

    async def exec_spdy(self) -> float:
        options = rcs.StreamOptions(stdout=True, stderr=True)
        t0 = time.perf_counter()
        async with rcs.SpdyRemoteCommand(
            self.exec_url(["true"]), options, ssl_context=self.ssl, headers=self.headers
        ) as s:
            result = await s.wait()
            elapsed = time.perf_counter() - t0
        assert result.exit_code == 0, result.status
        return elapsed

    async def echo_session(self, protocol: str, lines: int) -> list[float]:
        """Round-trip times of `lines` lines through `cat` in one session."""
        url = self.exec_url(["cat"], stdin=True)
        session: rc.RemoteCommand | rcs.SpdyRemoteCommand
        if protocol == "websocket":
            session = rc.RemoteCommand(url, protocols=(rc.V5,), session=self.http)
        else:
            options = rcs.StreamOptions(stdin=True, stdout=True, stderr=True)
            session = rcs.SpdyRemoteCommand(url, options, ssl_context=self.ssl, headers=self.headers)
        times = []
        async with session:
            for i in range(lines):
                line = f"{i}\n".encode()
                t0 = time.perf_counter()
                await session.write_stdin(line)
                got = b""
                while not got.endswith(b"\n"):
                    item = await session.read()
                    assert item is not None, "cat ended early"
                    got += item[1] if item[0] == rc.STDOUT else b""
                times.append(time.perf_counter() - t0)
                assert got == line, got
            await session.close_stdin()
        return times

    async def follow_lines(
        self, lines: int, write: Callable[[], Coroutine[Any, Any, None]]
    ) -> tuple[float, int]:
        """Seconds from `write()` starting to the `lines`-th new line read by a follow, and bytes."""
        params = {"follow": "true", "tailLines": "0"}
        async with self.http.get(f"{self.pod_url}/log", params=params, timeout=None) as resp:
            assert resp.status == 200, await resp.text()
            writer = asyncio.create_task(write())
            t0 = time.perf_counter()
            seen, size = 0, 0
            while seen < lines:
                chunk = await resp.content.readany()
                assert chunk, f"the log ended after {seen} lines"
                seen += chunk.count(b"\n")
                size += len(chunk)
            elapsed = time.perf_counter() - t0
            await writer
        return elapsed, size

    async def read_log(self) -> tuple[float, int]:
        t0 = time.perf_counter()
        size = 0
        async with self.http.get(f"{self.pod_url}/log", timeout=None) as resp:
            assert resp.status == 200, await resp.text()
            async for chunk in resp.content.iter_any():
                size += len(chunk)
        return time.perf_counter() - t0, size


async def _sessions(
    run: Callable[[], Awaitable[float]], total: int, concurrency: int
) -> tuple[float, list[float]]:
    """`total` sessions, `concurrency` at a time: (wall seconds, each session's seconds to
    its exit code)."""
    latencies: list[float] = []
    queue = iter(range(total))

    async def worker() -> None:
        for _ in queue:
            latencies.append(await run())

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0, latencies


async def measure(cluster: UpCluster, args: argparse.Namespace) -> list[Row]:
    streams = Streams(load_kubeconfig(cluster.kubeconfig))
    rows: list[Row] = []
    try:
        for protocol, run in (("WebSocket v5", streams.exec_websocket), ("SPDY/3.1", streams.exec_spdy)):
            await run()  # warm: connections, the kubelet's authorization cache
            for c in args.concurrency:
                wall, lat = await _sessions(run, args.execs, c)
                rate = f"{args.execs / wall:.1f} sessions/s"
                latency = f"p50 {statistics.median(lat) * 1000:.0f} ms, p99 {_pct(lat, 0.99) * 1000:.0f} ms"
                rows.append((f"exec `true`, {protocol}", f"{c} at a time", rate, latency))
        for protocol in ("websocket", "spdy"):
            times = await streams.echo_session(protocol, args.round_trips)
            rate = f"{len(times) / sum(times):.0f} round trips/s"
            latency = f"p50 {statistics.median(times) * 1000:.1f} ms, p99 {_pct(times, 0.99) * 1000:.1f} ms"
            name = "WebSocket v5" if protocol == "websocket" else "SPDY/3.1"
            rows.append((f"stdin→stdout through `cat`, {name}", "1 session", rate, latency))
        rows += await _logs(streams, args.log_lines)
    finally:
        await streams.close()
    return rows


async def _logs(streams: Streams, lines: int) -> list[Row]:
    command = f"yes {LINE.decode().strip()} | head -n {lines} > /proc/1/fd/1"

    async def write() -> None:
        async with rc.RemoteCommand(
            streams.exec_url(["sh", "-c", command]), protocols=(rc.V5,), session=streams.http
        ) as s:
            result = await s.wait()
        assert result.exit_code == 0, result.status

    elapsed, size = await streams.follow_lines(lines, write)
    rows = [
        (f"logs -f ({lines} lines of 100 B written)", "1 follower", _mbps(size, elapsed), f"{elapsed:.2f} s")
    ]
    elapsed, size = await streams.read_log()
    rows.append(
        ("logs (the whole log read)", f"{size / 1e6:.1f} MB", _mbps(size, elapsed), f"{elapsed:.2f} s")
    )
    return rows


def _mbps(size: int, seconds: float) -> str:
    return f"{size / seconds / 1e6:.1f} MB/s"


def _start_runtime(
    kind: str, work: Path, registry: LocalRegistry, layout: Path
) -> RuntimeProcess | ContainerdProcess:
    if kind == "containerd":
        pause = push_pause_image(layout, work, registry.address)
        ctd = ContainerdProcess(
            work / "containerd", index=243, registry=registry.address, sandbox_image=pause
        )
        ctd.start()
        return ctd
    return RuntimeProcess(work / "runtime", 242).start()


def _start_pod(cluster: UpCluster, registry: str) -> None:
    main = {"name": "main", "image": f"{registry}/busybox:latest", "command": ["sleep", "100000"]}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": POD},
        "spec": {"terminationGracePeriodSeconds": 1, "containers": [main]},
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(pod))

    def running() -> bool:
        return cluster.kubectl("get", "pod", POD, "-o", "jsonpath={.status.phase}").stdout == "Running"

    wait_for(running, "the bench pod to run", timeout=120, interval=0.3)


def run(args: argparse.Namespace, work: Path) -> list[Row]:
    with contextlib.ExitStack() as stack:
        registry = stack.enter_context(LocalRegistry(work / "registry"))
        layout = build_busybox_layout(work)
        registry.push(layout, "busybox")
        cgroup_root = f"/kubelite-bench-{os.getpid()}"
        stack.callback(remove_cgroup, cgroup_root)  # the callbacks run last to first
        runtime = _start_runtime(args.runtime, work, registry, layout)
        stack.callback(runtime.cleanup)
        stack.callback(lambda: asyncio.run(remove_all_sandboxes(runtime.endpoint)))
        asyncio.run(set_pod_cidr(runtime.endpoint, runtime.pod_cidr))
        cluster = UpCluster(work / "data", runtime.endpoint, runtime.pod_cidr, cgroup_root)
        stack.callback(cluster.stop)
        cluster.start()
        _start_pod(cluster, registry.address)
        return asyncio.run(measure(cluster, args))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runtime", choices=("kubelite", "containerd"), default="kubelite")
    parser.add_argument("--execs", type=int, default=100, help="exec sessions per row")
    parser.add_argument(
        "--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8], help="e.g. 1,8"
    )
    parser.add_argument("--round-trips", type=int, default=1000, help="lines through cat per protocol")
    parser.add_argument("--log-lines", type=int, default=100_000, help="100-byte lines the container writes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubelite-streaming-bench-") as tmp:
        rows = run(args, Path(tmp))
    header: Row = ("what (through the API server, runtime: " + args.runtime + ")", "load", "rate", "latency")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
