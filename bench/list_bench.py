"""Paged lists of a resource that keeps changing: how long a client takes to page through it.

    python bench/list_bench.py [--store sqlite|etcd] [--objects 5000] [--history 50000] [--page 500]
                               [--write-rate 200] [--rounds 20]

Starts a real `kubelite apiserver` (SQLite in a temp dir, or a real etcd), fills one
namespace with N ConfigMaps and updates them --history times (the store keeps every revision
until it is compacted, every 5 minutes: 50,000 is 5 minutes of 170 writes/s), then pages
through them (limit --page, as client-go's informers and `kubectl get --chunk-size` do)
--rounds times: first with nothing else happening, then while
a writer updates random ConfigMaps at --write-rate per second - so every continue page is
asked for a snapshot the resource has already moved past (the case Kubernetes 1.33 serves
from watch-cache snapshots, and older API servers from etcd at that revision).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from kubelite.client import Client, load_kubeconfig
from kubelite.server.testing import LocalCluster
from kubelite.storage.testing import EtcdServer

NAMESPACE = "bench"


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


async def fill(client: Client, count: int, history: int) -> None:
    await client.resource("namespaces").create({"metadata": {"name": NAMESPACE}})
    cms = client.resource("configmaps")
    names = iter(range(count))

    async def writer() -> None:
        for i in names:
            await cms.create(
                {"metadata": {"name": f"cm-{i:06d}"}, "data": {"index": str(i)}}, namespace=NAMESPACE
            )

    await asyncio.gather(*(writer() for _ in range(32)))
    updates = iter(range(history))

    async def updater() -> None:
        for n in updates:
            await cms.patch(f"cm-{n % count:06d}", {"data": {"update": str(n)}}, namespace=NAMESPACE)

    await asyncio.gather(*(updater() for _ in range(32)))


async def page_through(client: Client, page: int) -> tuple[float, int, int]:
    """(seconds, objects, pages) for one full paged list."""
    cms = client.resource("configmaps")
    start = time.perf_counter()
    objects = pages = 0
    token = None
    while True:
        res = await cms.list(namespace=NAMESPACE, limit=page, continue_=token)
        objects += len(res["items"])
        pages += 1
        token = res["metadata"].get("continue")
        if not token:
            return time.perf_counter() - start, objects, pages


async def churn(client: Client, count: int, rate: float, stop: asyncio.Event) -> int:
    cms = client.resource("configmaps")
    writes = 0
    interval = 1.0 / rate
    next_at = time.perf_counter()
    while not stop.is_set():
        i = random.randrange(count)
        await cms.patch(f"cm-{i:06d}", {"data": {"writes": str(writes)}}, namespace=NAMESPACE)
        writes += 1
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    return writes


async def run(kubeconfig: Path, args: argparse.Namespace) -> list[tuple[str, list[float], int]]:
    config = load_kubeconfig(kubeconfig).with_rate_limits(0, 1)
    results = []
    async with Client(config) as client:
        await fill(client, args.objects, args.history)
        for label, rate in (("quiet", 0.0), (f"{args.write_rate:.0f} writes/s", args.write_rate)):
            stop = asyncio.Event()
            writer = asyncio.create_task(churn(client, args.objects, rate, stop)) if rate else None
            await asyncio.sleep(0.5 if rate else 0)
            times = []
            for _ in range(args.rounds):
                seconds, objects, _pages = await page_through(client, args.page)
                assert objects == args.objects, objects
                times.append(seconds)
            stop.set()
            writes = await writer if writer else 0
            results.append((label, times, writes))
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", choices=("sqlite", "etcd"), default="sqlite")
    ap.add_argument("--objects", type=int, default=5000)
    ap.add_argument("--history", type=int, default=50000)
    ap.add_argument("--page", type=int, default=500)
    ap.add_argument("--write-rate", type=float, default=200.0)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        etcd = EtcdServer(Path(tmp) / "etcd") if args.store == "etcd" else None
        store = f"etcd://{etcd.start().removeprefix('http://')}" if etcd else ""
        cluster = LocalCluster(Path(tmp) / "cluster", store=store).start()
        try:
            results = asyncio.run(run(cluster.kubeconfig, args))
        finally:
            cluster.stop()
            if etcd:
                etcd.stop()
    print(
        f"\n{args.store}: paging through {args.objects} ConfigMaps ({args.history} earlier updates kept), "
        f"{args.page} per page, {args.rounds} rounds"
    )
    print(f"{'while':<16} {'p50':>9} {'p99':>9} {'objects/s (p50)':>16} {'writes':>8}")
    for label, times, writes in results:
        print(
            f"{label:<16} {pct(times, 0.5) * 1000:>7.0f}ms {pct(times, 0.99) * 1000:>7.0f}ms "
            f"{args.objects / pct(times, 0.5):>16.0f} {writes:>8}"
        )


if __name__ == "__main__":
    main()
