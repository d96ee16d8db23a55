"""Node lifecycle benchmark: what one monitor pass over N nodes costs the controller manager.

    python bench/nodelifecycle_bench.py [--nodes 1000,5000]

The node lifecycle controller looks at every node every --node-monitor-period (5 s), so a
pass must stay well under that. For each N, on the fake cluster (kubelite.client.fakecluster,
virtual time, no network: the controller's own work only) with N Ready nodes in 3 zones,
each with a Lease:

    all Ready     a pass with nothing to do (every node's Lease renewed)
    10% dark      the pass that finds a tenth of the nodes overdue: their conditions set to
                  Unknown (one status write each) and queued for the NoExecute taint

Times are the median of 5 passes (the dark pass: once) in milliseconds, wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubelite.api.meta import format_micro_wall, format_wall
from kubelite.controllers.nodelifecycle import NodeLifecycleController
from kubelite.controllers.testing import ControllerHarness


async def renew(h: ControllerHarness, names: list[str]) -> None:
    leases = h.client.resource("leases", group="coordination.k8s.io")
    for name in names:
        lease = await leases.get(name, namespace="kube-node-lease")
        lease["spec"]["renewTime"] = format_micro_wall(h.clock.wall())
        await leases.update(lease, namespace="kube-node-lease")


async def measure(n: int) -> tuple[float, float]:
    h = ControllerHarness()
    nodes = h.client.resource("nodes")
    leases = h.client.resource("leases", group="coordination.k8s.io")
    stamp = format_wall(h.clock.wall())
    ready = [{"type": "Ready", "status": "True", "lastHeartbeatTime": stamp, "lastTransitionTime": stamp}]
    names = [f"node-{i}" for i in range(n)]
    for i, name in enumerate(names):
        labels = {"topology.kubernetes.io/zone": f"zone-{i % 3}"}
        await nodes.create({"metadata": {"name": name, "labels": labels}, "status": {"conditions": ready}})
        spec = {"holderIdentity": name, "renewTime": format_micro_wall(h.clock.wall())}
        await leases.create({"metadata": {"name": name}, "spec": spec}, namespace="kube-node-lease")
    controller = NodeLifecycleController(h.ctx)
    # The informers only: the passes are called here, not by the controller's own loops.
    h.informers.start()
    await h.informers.wait_for_cache_sync()
    try:
        quiet = []
        for _ in range(5):
            start = time.perf_counter()
            await controller.monitor_node_health()
            quiet.append(time.perf_counter() - start)
        await h.clock.advance(30)
        await renew(h, names[n // 10 :])  # the first tenth stays dark
        await h.clock.advance(15)  # 45 s since their last renewal: past the 40 s grace period
        while h.cluster.pending_events():  # the informers have seen every renewal
            await h.clock.settle()
        start = time.perf_counter()
        await controller.monitor_node_health()
        dark = time.perf_counter() - start
        unknown = sum(
            1 for node in h.cluster.objects("nodes") if node["status"]["conditions"][0]["status"] != "True"
        )
        assert unknown == n // 10, unknown
    finally:
        await h.informers.shutdown()
    return statistics.median(quiet) * 1000, dark * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", default="1000,5000")
    args = parser.parse_args()
    rows = []
    for n in (int(x) for x in args.nodes.split(",")):
        quiet, dark = asyncio.run(measure(n))
        rows.append((n, quiet, dark))
        print(f"done: {n} nodes", file=sys.stderr)
    print("\nNode lifecycle monitor pass (fake cluster, 3 zones)\n")
    print(f"{'nodes':>7} {'all Ready ms':>13} {'10% dark ms':>12}")
    for n, quiet, dark in rows:
        print(f"{n:>7} {quiet:>13.0f} {dark:>12.0f}")


if __name__ == "__main__":
    main()
