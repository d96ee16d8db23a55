"""kube-proxy benchmark: sync times and requests/s through a ClusterIP, per proxy mode.

    python bench/proxy_bench.py [--services 1000,5000] [--endpoints 10] [--seconds 3]
                                [--modes iptables,nftables,userspace]

Runs inside a network namespace of its own (it re-executes itself under `ip netns exec`;
root needed), so the rules it writes touch nothing else. For each size it builds N Services
of 10 endpoints each (as the informers would hand them to the proxy) and measures, per mode:

    full sync         the first sync: rule generation + iptables-restore / nft -f (userspace:
                      starting N relays and their redirect rules)
    incremental sync  one Service's endpoints changed, the next sync (iptables: a partial
                      sync writing that service's chains only)
    requests/s        new TCP connections + one HTTP-ish exchange each through the first
                      Service's ClusterIP to its 10 local backends, from 64 concurrent
                      clients for --seconds (asyncio client: the client is the bottleneck
                      long before the kernel's DNAT is)

Kubernetes' kube-proxy (iptables) takes a few seconds for a full sync of 10,000 endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time
import uuid
from typing import Any

from kubelite.proxy.changes import ChangeTracker, Snapshot
from kubelite.proxy.iptables.proxier import IptablesProxier
from kubelite.proxy.iptables.rules import RulesConfig
from kubelite.proxy.nftables.proxier import NftablesProxier
from kubelite.proxy.nftables.rules import NftConfig
from kubelite.proxy.userspace.proxier import UserspaceProxier

BACKENDS = [f"10.200.0.{i}" for i in range(1, 11)]
CLUSTER_CIDR = "10.200.0.0/16"


def service(i: int) -> dict[str, Any]:
    return {
        "kind": "Service",
        "metadata": {"name": f"svc-{i}", "namespace": "bench"},
        "spec": {"clusterIP": f"10.96.{i // 250}.{i % 250 + 1}", "ports": [{"name": "http", "port": 80}]},
    }


def endpoint_slice(i: int, endpoints: int, version: int = 0) -> dict[str, Any]:
    # the first Service's endpoints are real (local servers); the others' are addresses only
    ips = BACKENDS if i == 0 else [f"10.{210 + v}.{i // 250}.{i % 250 + 1}" for v in range(endpoints)]
    if version:
        ips = ips[:-1]
    return {
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"svc-{i}-x",
            "namespace": "bench",
            "labels": {"kubernetes.io/service-name": f"svc-{i}"},
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips[:endpoints]],
    }


def snapshots(n: int, endpoints: int) -> tuple[Snapshot, Snapshot]:
    tracker = ChangeTracker("bench-node")
    for i in range(n):
        tracker.service_updated(service(i))
        tracker.slice_updated(endpoint_slice(i, endpoints))
    first = tracker.take()
    tracker.slice_updated(endpoint_slice(n - 1, endpoints, version=1))
    return first, tracker.take()


def make(mode: str) -> Any:
    if mode == "iptables":
        return IptablesProxier(RulesConfig(cluster_cidr=CLUSTER_CIDR))
    if mode == "nftables":
        return NftablesProxier(NftConfig(cluster_cidr=CLUSTER_CIDR))
    return UserspaceProxier(scheduler="rr", bind="127.0.0.1")


async def serve_backends() -> list[asyncio.AbstractServer]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"HTTP/1.0 200 OK\r\n\r\nok\n")
        await writer.drain()
        writer.close()

    return [await asyncio.start_server(answer, ip, 8080) for ip in BACKENDS]


async def requests_per_second(ip: str, seconds: float, clients: int = 64) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            reader, writer = await asyncio.open_connection(ip, 80)
            writer.write(b"GET / HTTP/1.0\r\n\r\n")
            await writer.drain()
            if (await reader.read()).endswith(b"ok\n"):
                done += 1
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return done / (time.perf_counter() - started)


async def measure(mode: str, n: int, endpoints: int, seconds: float) -> dict[str, float]:
    first, second = snapshots(n, endpoints)
    proxier = make(mode)
    if isinstance(proxier, UserspaceProxier):
        proxier.attach(asyncio.get_running_loop())
    try:
        t0 = time.perf_counter()
        await asyncio.to_thread(proxier.sync, first)
        full = time.perf_counter() - t0
        t0 = time.perf_counter()
        await asyncio.to_thread(proxier.sync, second)
        incremental = time.perf_counter() - t0
        rps = await requests_per_second(first.services[min(first.services)].cluster_ip, seconds)
    finally:
        if isinstance(proxier, UserspaceProxier):
            for relay in list(proxier.relays.values()):
                await relay.stop()
        await asyncio.to_thread(proxier.cleanup)
    return {"full": full, "incremental": incremental, "rps": rps}


def setup_netns() -> None:
    """Inside the benchmark's netns: loopback, the backends' addresses, a default route."""
    for cmd in (
        "ip link set lo up",
        "ip link add kb0 type veth peer name kb1",
        "ip link set kb0 up",
        "ip link set kb1 up",
        "ip addr add 192.168.99.1/24 dev kb0",
        "ip route add default via 192.168.99.2",
        *(f"ip addr add {ip}/32 dev lo" for ip in BACKENDS),
    ):
        subprocess.run(cmd.split(), check=True)
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


async def inner(args: argparse.Namespace) -> None:
    setup_netns()
    servers = await serve_backends()
    header = ("mode", "services", "endpoints", "full sync s", "incremental s", "requests/s")
    print(
        f"{header[0]:<10} "
        + " ".join(f"{h:>{w}}" for h, w in zip(header[1:], (8, 9, 12, 14, 11), strict=True))
    )
    for n in args.services:
        for mode in args.modes:
            r = await measure(mode, n, args.endpoints, args.seconds)
            print(
                f"{mode:<10} {n:>8} {n * args.endpoints:>9} {r['full']:>12.3f} {r['incremental']:>14.3f} "
                f"{r['rps']:>11.0f}",
                flush=True,
            )
    for s in servers:
        s.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--services", type=lambda t: [int(x) for x in t.split(",")], default=[1000, 5000])
    p.add_argument("--endpoints", type=int, default=10)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--modes", type=lambda t: t.split(","), default=["iptables", "nftables", "userspace"])
    p.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.inner:
        asyncio.run(inner(args))
        return 0
    if os.geteuid() != 0:
        raise SystemExit("proxy_bench: run as root (it makes a network namespace)")
    netns = f"kl-bench-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    try:
        return subprocess.run(["ip", "netns", "exec", netns, sys.executable, *sys.argv, "--inner"]).returncode
    finally:
        subprocess.run(["ip", "netns", "del", netns], check=False)


if __name__ == "__main__":
    sys.exit(main())
