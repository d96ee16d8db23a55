"""Informer benchmark: how long an informer takes to sync N objects, and what its cache costs.

    python bench/informer_bench.py [--counts 10000,100000] [--modes list,watch-list]

For each count it starts a real `kubelite apiserver` (SQLite in a temp dir), fills one
namespace with N ConfigMaps (a label and a few data keys each, ~400 bytes of JSON), then
for each mode runs a fresh Python process that builds a SharedInformer and waits for its
cache to sync:

- list        paged list (500 per page, as client-go) then watch
- watch-list  one watch with sendInitialEvents=true, up to the initial-events-end bookmark

It reports the sync time, objects per second, and the process's resident memory before
and after the sync (the cache's cost per object is the difference divided by N).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kubelite.client import Client, SharedInformer, load_kubeconfig
from kubelite.server.testing import LocalCluster

NAMESPACE = "bench"


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


async def populate(kubeconfig: Path, count: int, concurrency: int = 64) -> float:
    config = load_kubeconfig(kubeconfig).with_rate_limits(0, 1)
    start = time.perf_counter()
    async with Client(config) as client:
        await client.resource("namespaces").create({"metadata": {"name": NAMESPACE}})
        cms = client.resource("configmaps")
        names = iter(range(count))

        async def writer() -> None:
            for i in names:
                await cms.create(
                    {
                        "metadata": {"name": f"cm-{i:06d}", "labels": {"app": f"a{i % 50}"}},
                        "data": {"key": "value-" * 8, "index": str(i), "owner": "bench"},
                    },
                    namespace=NAMESPACE,
                )

        await asyncio.gather(*(writer() for _ in range(concurrency)))
    return time.perf_counter() - start


async def measure(kubeconfig: str, mode: str) -> dict[str, float]:
    config = load_kubeconfig(kubeconfig).with_rate_limits(0, 1)
    async with Client(config) as client:
        await client.resource("namespaces").get(NAMESPACE)  # warm the connection and imports
        before = rss_bytes()
        informer = SharedInformer(
            client.resource("configmaps"), namespace=NAMESPACE, use_watch_list=mode == "watch-list"
        )
        start = time.perf_counter()
        task = asyncio.ensure_future(informer.run())
        await informer.wait_for_sync()
        elapsed = time.perf_counter() - start
        after = rss_bytes()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return {
            "objects": len(informer.indexer),
            "seconds": elapsed,
            "rss_before": before,
            "rss_after": after,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="10000,100000")
    parser.add_argument("--modes", default="list,watch-list")
    parser.add_argument("--measure", nargs=2, metavar=("KUBECONFIG", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(*args.measure))))
        return

    print(
        f"{'objects':>8} {'mode':<11} {'fill s':>7} {'sync s':>7} {'obj/s':>8} "
        f"{'RSS before':>11} {'RSS after':>10} {'B/object':>9}"
    )
    for count in (int(c) for c in args.counts.split(",")):
        with tempfile.TemporaryDirectory(prefix="kubelite-informer-bench-") as tmp:
            cluster = LocalCluster(Path(tmp))
            cluster.start()
            try:
                fill = asyncio.run(populate(cluster.kubeconfig, count))
                for mode in args.modes.split(","):
                    argv = [sys.executable, __file__, "--measure", str(cluster.kubeconfig), mode]
                    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
                    r = json.loads(out)
                    assert r["objects"] == count, r
                    per = (r["rss_after"] - r["rss_before"]) / count
                    rate = count / r["seconds"]
                    print(
                        f"{count:>8} {mode:<11} {fill:>7.1f} {r['seconds']:>7.2f} {rate:>8.0f} "
                        f"{r['rss_before'] / 2**20:>9.0f}MB {r['rss_after'] / 2**20:>8.0f}MB {per:>9.0f}",
                        flush=True,
                    )
            finally:
                cluster.stop()


if __name__ == "__main__":
    main()
