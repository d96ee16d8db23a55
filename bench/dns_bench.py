"""Cluster DNS benchmark: queries per second and latency of `kubelite dns` over UDP.

    python bench/dns_bench.py [--services 100] [--seconds 5] [--concurrency 32]

Starts a real API server (LocalCluster) with N Services, a fake upstream resolver and a
`kubelite dns` process (one process: one core), then for each workload keeps
`--concurrency` questions in flight from an asyncio load generator for `--seconds`:

    service names   A  svc-<i>.bench.svc.cluster.local       (the kubernetes plugin)
    cache hits      A  www.example.com                        (forwarded once, then cached)
    NXDOMAIN        A  nope-<i>.bench.svc.cluster.local       (no such Service)

and prints a table of answers per second, answers per second of the DNS process's own CPU
time (the figure to set beside "per core"), p50 and p99 latency. For comparison, CoreDNS
serves tens of thousands of questions per second per core (the CoreDNS project's own
figures for the kubernetes plugin and the cache).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dns.message
import dns.rcode
import dns.rrset

from kubelite.client.config import load_kubeconfig
from kubelite.client.rest import Client
from kubelite.server.testing import LocalCluster
from kubelite.util.net import free_port
from kubelite.util.process import exit_with_parent


class Upstream(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        q = dns.message.from_wire(data)
        r = dns.message.make_response(q)
        r.answer.append(dns.rrset.from_text(q.question[0].name, 300, "IN", "A", "192.0.2.7"))
        self.transport.sendto(r.to_wire(), addr)  # type: ignore[attr-defined]


class Load(asyncio.DatagramProtocol):
    """Questions out, answers matched back by id; latencies and rcodes recorded."""

    def __init__(self) -> None:
        self.sent: dict[int, tuple[float, asyncio.Future[int]]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        qid = int.from_bytes(data[:2], "big")
        entry = self.sent.pop(qid, None)
        if entry is not None and not entry[1].done():
            entry[1].set_result(data[3] & 0xF)

    async def ask(self, wire: bytes, qid: int, addr: tuple[str, int]) -> tuple[float, int]:
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        self.sent[qid] = (started, fut)
        self.transport.sendto(qid.to_bytes(2, "big") + wire[2:], addr)  # type: ignore[attr-defined]
        try:
            rcode = await asyncio.wait_for(fut, 2.0)
        except TimeoutError:
            self.sent.pop(qid, None)
            return float("nan"), -1
        return time.perf_counter() - started, rcode


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


async def workload(
    port: int, names: list[str], seconds: float, concurrency: int
) -> tuple[int, list[float], int]:
    loop = asyncio.get_running_loop()
    transport, load = await loop.create_datagram_endpoint(Load, remote_addr=None, local_addr=("127.0.0.1", 0))
    wires = [dns.message.make_query(n, "A").to_wire() for n in names]
    latencies: list[float] = []
    errors = 0
    next_id = 0
    deadline = time.perf_counter() + seconds

    async def worker(k: int) -> None:
        nonlocal next_id, errors
        i = k
        while time.perf_counter() < deadline:
            next_id = (next_id + 1) % 65536
            took, rcode = await load.ask(wires[i % len(wires)], next_id, ("127.0.0.1", port))
            i += concurrency
            if rcode < 0:
                errors += 1
            else:
                latencies.append(took)

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - started
    transport.close()
    return int(len(latencies) / elapsed), latencies, errors


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="kubelite-dns-bench-") as tmp:
        cluster = LocalCluster(Path(tmp) / "data")
        cluster.start()
        loop = asyncio.get_running_loop()
        up_port, dns_port = free_port(), free_port()
        upstream, _ = await loop.create_datagram_endpoint(Upstream, local_addr=("127.0.0.1", up_port))
        proc = None
        try:
            async with Client(load_kubeconfig(cluster.kubeconfig)) as client:
                await client.resource("namespaces").create({"metadata": {"name": "bench"}})
                for i in range(args.services):
                    await client.resource("services").create(
                        {"metadata": {"name": f"svc-{i}"}, "spec": {"ports": [{"port": 80}]}},
                        namespace="bench",
                    )
            argv = [sys.executable, "-m", "kubelite", "dns", "--kubeconfig", str(cluster.kubeconfig)]
            argv += [
                "--bind-address",
                "127.0.0.1",
                "--port",
                str(dns_port),
                "--upstream",
                f"127.0.0.1:{up_port}",
            ]
            argv += ["--http-bind-address", "127.0.0.1", "--health-port", "0", "--ready-port", "0"]
            argv += ["--metrics-port", "0"]
            proc = subprocess.Popen(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=exit_with_parent()
            )
            probe = [f"svc-{args.services - 1}.bench.svc.cluster.local."]
            for _ in range(200):  # until the server is up and its caches hold the last Service
                qps, lat, _ = await workload(dns_port, probe, 0.05, 1)
                if lat:
                    break
                await asyncio.sleep(0.1)
            workloads = {
                "service names": [f"svc-{i}.bench.svc.cluster.local." for i in range(args.services)],
                "cache hits": ["www.example.com."],
                "NXDOMAIN": [f"nope-{i}.bench.svc.cluster.local." for i in range(args.services)],
            }
            await workload(dns_port, ["www.example.com."], 0.2, 1)  # the one cache miss
            print(f"kubelite dns, one process, UDP, {args.concurrency} in flight, {args.seconds:g} s each")
            columns = ("answers/s", "per CPU-s", "p50 ms", "p99 ms")
            print(f"{'workload':<16}" + "".join(f" {c:>10}" for c in columns) + f" {'lost':>6}")
            for name, names in workloads.items():
                cpu = cpu_seconds(proc.pid)
                qps, lat, lost = await workload(dns_port, names, args.seconds, args.concurrency)
                per_cpu = int(len(lat) / max(cpu_seconds(proc.pid) - cpu, 1e-9))
                p50, p99 = pct(lat, 0.5) * 1000, pct(lat, 0.99) * 1000
                print(f"{name:<16} {qps:>10} {per_cpu:>10} {p50:>10.2f} {p99:>10.2f} {lost:>6}")
            print("CoreDNS: tens of thousands of answers/s per core for the same workloads")
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(10)
            upstream.close()
            cluster.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--concurrency", type=int, default=32)
    asyncio.run(main(ap.parse_args()))
