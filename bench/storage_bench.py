"""Storage benchmark: throughput and watch latency of each backend, printed as a table.

    python bench/storage_bench.py [--keys 10000] [--concurrency 32] [--uvloop]

Runs SQLite always and etcd when its binary is installed (a private etcd in a temporary
directory). Each backend gets the same workload, `concurrency` tasks in one event loop:

  creates/s   `keys` creates of ~1 KiB values
  updates/s   one CAS update of each key
  gets/s      one get of each key
  list        one list of all `keys` keys (ms)
  watch p50/p99  time from issuing a write to its event reaching each of 10 watchers (ms),
                 for writes issued by `concurrency` tasks (the loop is saturated, so this
                 includes queueing behind the writers' own work)
  watch idle     the same p50 with writes issued one at a time
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from kubelite.storage import open_store
from kubelite.storage.interface import Store
from kubelite.storage.testing import EtcdServer, etcd_binary

VALUE = b'{"kind":"Pod","spec":{"containers":[{"name":"c","image":"x"}]}' + b" " * 960
WATCHERS = 10
WATCHED_WRITES = 2000


async def run_workers(n: int, concurrency: int, op: Callable[[int], Awaitable[object]]) -> float:
    """Run op(0..n-1) on `concurrency` tasks; returns operations per second."""
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            await op(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - started)


async def watch_latency(store: Store, concurrency: int) -> tuple[float, float]:
    """p50 and p99 (ms) from issuing a write to its event reaching every watcher."""
    prefix = f"/bench/watched-{concurrency}/"
    start = await store.current_revision() + 1
    issued: dict[str, float] = {}
    latencies: list[float] = []

    async def watcher() -> None:
        seen = 0
        async for event in store.watch(prefix, start_revision=start):
            latencies.append(time.perf_counter() - issued[event.kv.key])
            seen += 1
            if seen == WATCHED_WRITES:
                return

    async def write(i: int) -> None:
        key = f"{prefix}{i}"
        issued[key] = time.perf_counter()
        await store.create(key, VALUE)

    tasks = [asyncio.create_task(watcher()) for _ in range(WATCHERS)]
    await asyncio.sleep(0.5)  # let every watch be established
    await run_workers(WATCHED_WRITES, concurrency, write)
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    cuts = statistics.quantiles(latencies, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


async def bench(url: str, keys: int, concurrency: int) -> dict[str, float]:
    store = open_store(url)
    await store.start()
    try:
        names = [f"/bench/pods/ns/pod-{i:06}" for i in range(keys)]
        revisions: dict[int, int] = {}

        async def create(i: int) -> None:
            revisions[i] = (await store.create(names[i], VALUE)).mod_revision

        async def update(i: int) -> None:
            await store.update(names[i], VALUE, expected_revision=revisions[i])

        async def get(i: int) -> None:
            await store.get(names[i])

        result = {
            "creates/s": await run_workers(keys, concurrency, create),
            "updates/s": await run_workers(keys, concurrency, update),
            "gets/s": await run_workers(keys, concurrency, get),
        }
        started = time.perf_counter()
        listed = await store.list("/bench/pods/")
        result[f"list {len(listed.kvs)} (ms)"] = (time.perf_counter() - started) * 1000
        result["watch p50 (ms)"], result["watch p99 (ms)"] = await watch_latency(store, concurrency)
        result["watch p50 idle (ms)"], _ = await watch_latency(store, 1)
        return result
    finally:
        await store.close()


def print_table(rows: dict[str, dict[str, float]]) -> None:
    columns = list(next(iter(rows.values())))
    print("| backend | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(f"{row[c]:,.1f}" for c in columns) + " |")


async def main(args: argparse.Namespace) -> None:
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        rows["sqlite"] = await bench(f"sqlite://{Path(tmp) / 'bench.db'}", args.keys, args.concurrency)
        try:
            etcd_binary()
        except RuntimeError as err:
            print(f"etcd skipped: {err}")
        else:
            server = EtcdServer(Path(tmp) / "etcd")
            try:
                endpoint = server.start()
                rows["etcd"] = await bench(f"etcd://{endpoint}", args.keys, args.concurrency)
            finally:
                server.stop()
    print(
        f"\n{args.keys} keys, concurrency {args.concurrency}, {WATCHERS} watchers, {len(VALUE)}-byte values\n"
    )
    print_table(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.install()
    asyncio.run(main(args))
