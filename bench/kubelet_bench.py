"""Kubelet benchmarks: pod startup latency on the real runtime, and simulated-node heartbeats.

python bench/kubelet_bench.py startup [--pods 100] [--rate R] [--runtime kubelite|containerd]
    (root; install-deps tools)
    A real API server, kubelite's runtime (or Debian's containerd, configured as the e2e
    tests configure it: the same kubelet on another CRI runtime, for comparison), a
    kubelet; busybox pulled once (image present),
    then N pods created at once (a burst), or R pods a second with --rate (as
    ClusterLoader2 measures Kubernetes' pod-startup SLO, at 5 pods/s); prints p50/p99 of
    created → Running (status.phase seen by a watch). Target p99 <= 2 s (Kubernetes' SLO
    is 5 s). A burst measures the node's throughput more than its latency: the last pod
    waits for every earlier one.
python bench/kubelet_bench.py heartbeats [--nodes 5000] [--seconds 60]
    One simulated kubelet process with N nodes against a real API server; prints how many
    nodes renewed their Lease on time (every gap between renewals <= 10 s + 4 s) after
    registration (every Lease exists). Renewals are read from a watch; --poll lists
    every Lease every 2 s instead (the old way; at 5,000 the lists cost the server more
    than the renewals do). Target: 5,000.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kubelite.api.meta import parse_time
from kubelite.client.config import load_kubeconfig
from kubelite.client.rest import Client
from kubelite.cri import api_pb2 as pb
from kubelite.cri.client import RemoteRuntime
from kubelite.image.testing import LocalRegistry, build_busybox_layout
from kubelite.kubelet.kubelet import Kubelet
from kubelite.kubelet.options import KubeletOptions
from kubelite.runtime.testing import ContainerdProcess, RuntimeProcess, push_pause_image, set_pod_cidr
from kubelite.server.testing import LocalCluster
from kubelite.util.testing import wait_for_async


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def _watch_running(api: object, rv: str, running: dict[str, float]) -> None:
    """Stamp each pod the moment a watch event first shows it Running."""
    async with api.watch(namespace="default", resource_version=rv) as events:  # type: ignore[attr-defined]
        async for ev in events:
            p = ev.object
            name = p.get("metadata", {}).get("name", "")
            if name not in running and p.get("status", {}).get("phase") == "Running":
                running[name] = time.time()


async def startup(pods: int, rate: float, work: Path, runtime_kind: str = "kubelite") -> None:
    with contextlib.ExitStack() as stack:
        registry = stack.enter_context(LocalRegistry(work / "registry"))
        layout = build_busybox_layout(work)
        registry.push(layout, "busybox")
        cluster = stack.enter_context(LocalCluster(work / "cluster"))
        rt: ContainerdProcess | RuntimeProcess
        if runtime_kind == "containerd":
            pause = push_pause_image(layout, work, registry.address)
            rt = ContainerdProcess(work / "ctd", index=241, registry=registry.address, sandbox_image=pause)
            cidr = rt.pod_cidr
        else:
            rt = RuntimeProcess(work / "rt", 241)
            cidr = rt.subnet
        stack.callback(rt.cleanup)
        rt.start()
        image = f"{registry.address}/busybox:latest"
        await _startup(
            pods,
            rate,
            work,
            runtime_kind,
            image=image,
            kubeconfig=cluster.kubeconfig,
            endpoint=rt.endpoint,
            cidr=cidr,
        )


async def _startup(
    pods: int,
    rate: float,
    work: Path,
    runtime_kind: str,
    *,
    image: str,
    kubeconfig: Path,
    endpoint: str,
    cidr: str,
) -> None:
    """Pods created at once or at `rate` on one kubelet: created -> Running latencies, as a table."""
    async with (
        Client(load_kubeconfig(kubeconfig).with_rate_limits(500, 1000)) as client,
        RemoteRuntime(endpoint) as runtime,
    ):
        await runtime.pull_image(pb.ImageSpec(image=image))
        await set_pod_cidr(endpoint, cidr)
        options = KubeletOptions(
            node_name="bench-node",
            container_runtime_endpoint=endpoint,
            default_pod_cidr=cidr,
            pod_log_dir=work / "pods",
            qps=500,
            burst=1000,
            max_pods=pods + 10,
            address="127.0.0.1",
            port=0,
        )
        kubelet = Kubelet(client, runtime, options)
        ready = asyncio.Event()
        task = asyncio.create_task(kubelet.run(ready))
        await ready.wait()
        api = client.resource("pods")
        created: dict[str, float] = {}
        running: dict[str, float] = {}
        rv = (await api.list(namespace="default", limit=1))["metadata"]["resourceVersion"]
        watcher = asyncio.create_task(_watch_running(api, rv, running))
        t0 = time.time()
        for i in range(pods):
            if rate:
                await asyncio.sleep(max(0.0, t0 + i / rate - time.time()))
            name = f"bench-{i}"
            await api.create(
                {
                    "metadata": {"name": name},
                    "spec": {
                        "nodeName": "bench-node",
                        "terminationGracePeriodSeconds": 1,
                        "containers": [
                            {
                                "name": "c",
                                "image": image,
                                "imagePullPolicy": "IfNotPresent",
                                "command": ["sleep", "3600"],
                            }
                        ],
                    },
                },
                namespace="default",
            )
            created[name] = time.time()
        deadline = time.time() + 120
        while len(running) < pods and time.time() < deadline:
            await asyncio.sleep(0.05)
        watcher.cancel()
        lat = [running[n] - created[n] for n in running if n in created]
        mode = f"{rate:g}/s" if rate else "burst"
        print(
            f"{'runtime':>10} {'pods':>6} {'created':>8} {'running':>8} {'p50 s':>7} {'p99 s':>7} "
            f"{'max s':>7}"
        )
        print(
            f"{runtime_kind:>10} {pods:>6} {mode:>8} {len(lat):>8} {statistics.median(lat):>7.2f} "
            f"{_pct(lat, 0.99):>7.2f} {max(lat):>7.2f}"
        )
        for i in range(pods):
            await api.delete(f"bench-{i}", namespace="default", grace_period_seconds=0)

        async def stopped() -> bool:
            running = pb.ContainerFilter(state=pb.ContainerStateValue(state=pb.CONTAINER_RUNNING))
            return not await runtime.list_containers(running)

        await wait_for_async(stopped, "the kubelet to stop the deleted pods' containers", timeout=60)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        for sb in await runtime.list_pod_sandbox():
            await runtime.stop_pod_sandbox(sb.id)
            await runtime.remove_pod_sandbox(sb.id)


async def _poll_leases(leases: Any, nodes: int, seconds: float) -> tuple[float, dict[str, float]]:
    """Registration time and each lease's worst gap, from a full list every 2 s (heavy: a
    paginated list of N leases every 2 s costs the API server ~0.5 core at 5,000)."""
    t0 = time.time()
    while True:
        items, _ = await leases.list_all(namespace="kube-node-lease")
        if len(items) >= nodes or time.time() - t0 > 600:
            break
        await asyncio.sleep(2)
    registered = time.time() - t0
    last: dict[str, float] = {}
    worst: dict[str, float] = {}
    start = time.time()
    while time.time() - start < seconds:
        items, _ = await leases.list_all(namespace="kube-node-lease")
        now = time.time()
        for lease in items:
            name = lease["metadata"]["name"]
            renew = parse_time(lease["spec"]["renewTime"]).timestamp()
            prev = last.get(name)
            if prev is not None and renew != prev:
                worst[name] = max(worst.get(name, 0.0), renew - prev)
            last[name] = renew
            worst[name] = max(worst.get(name, 0.0), now - renew)
        await asyncio.sleep(2)
    return registered, worst


async def _watch_leases(leases: Any, nodes: int, seconds: float) -> tuple[float, dict[str, float]]:
    """The same from a watch: every renewTime written, at the cost of one event each."""
    t0 = time.time()
    _, rv = await leases.list_all(namespace="kube-node-lease")
    last: dict[str, float] = {}
    worst: dict[str, float] = {}
    registered: float | None = None
    measuring_since = float("inf")
    while time.time() - measuring_since < seconds and time.time() - t0 < 600:
        async with leases.watch(
            namespace="kube-node-lease", resource_version=rv, timeout_seconds=30
        ) as events:
            async for ev in events:
                rv = ev.resource_version or rv
                if ev.type not in ("ADDED", "MODIFIED"):
                    continue
                name = ev.object["metadata"]["name"]
                renew = parse_time(ev.object["spec"]["renewTime"]).timestamp()
                prev = last.get(name)
                if prev is not None and renew != prev and registered is not None:
                    worst[name] = max(worst.get(name, 0.0), renew - prev)
                last[name] = renew
                if registered is None and len(last) >= nodes:
                    registered, measuring_since = time.time() - t0, time.time()
                    worst = {n: 0.0 for n in last}
                if time.time() - measuring_since >= seconds:
                    break
    now = time.time()
    for name, renew in last.items():
        worst[name] = max(worst.get(name, 0.0), now - renew)
    return registered if registered is not None else now - t0, worst


async def heartbeats(nodes: int, seconds: float, work: Path, *, poll: bool = False) -> None:
    cluster = LocalCluster(work / "cluster").start()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubelite",
            "kubelet",
            "--kubeconfig",
            str(cluster.kubeconfig),
            "--simulated",
            str(nodes),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with Client(load_kubeconfig(cluster.kubeconfig).with_rate_limits(0, 0)) as client:
            leases = client.resource("leases", group="coordination.k8s.io")
            measure = _poll_leases if poll else _watch_leases
            registered, worst = await measure(leases, nodes, seconds)
            on_time = sum(1 for n in worst.values() if n <= 12.0 + 2.0)  # + 2 s: polling's period
            print(f"{'nodes':>6} {'register s':>10} {'on time':>8} {'worst gap s':>11}")
            print(f"{nodes:>6} {registered:>10.1f} {on_time:>8} {max(worst.values()):>11.1f}")
    finally:
        proc.kill()
        proc.wait()
        cluster.stop()


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("startup")
    s.add_argument("--pods", type=int, default=100)
    s.add_argument(
        "--rate", type=float, default=0.0, help="create this many pods a second (default: all at once)"
    )
    s.add_argument("--runtime", choices=("kubelite", "containerd"), default="kubelite")
    h = sub.add_parser("heartbeats")
    h.add_argument("--nodes", type=int, default=5000)
    h.add_argument("--seconds", type=float, default=60)
    h.add_argument(
        "--poll",
        action="store_true",
        help="measure by listing every lease every 2 s (the old way) instead of a watch",
    )
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubelet-bench-") as tmp:
        if args.what == "startup":
            asyncio.run(startup(args.pods, args.rate, Path(tmp), args.runtime))
        else:
            asyncio.run(heartbeats(args.nodes, args.seconds, Path(tmp), poll=args.poll))


if __name__ == "__main__":
    main()
