"""Scheduler benchmark: pods/s from creation to binding, and each pod's creation-to-bound time.

python bench/scheduler_bench.py [--nodes 100,1000,5000] [--pods 3000] [--workloads plain,affinity]
                                [--profile DIR]

For each node count and workload: a real API server (SQLite), one `kubelite kubelet
--simulated N` process (nodes register, renew their Leases and post status as real
kubelets do; pods are not moved through phases, so the only writes per pod are the
create, the binding and the scheduler's event, as in Kubernetes' scheduler_perf where pods
stay on fake nodes), one `kubelite scheduler` process (leader election off, its client
unthrottled by the default clientConnection), and this process creating the pods with 64
requests in flight and watching for each pod's binding.

    plain     cpu 100m / memory 500Mi requests, nothing else (scheduler_perf's default pod)
    affinity  half the pods with required pod anti-affinity on kubernetes.io/hostname within
              groups of 10, half with a DoNotSchedule topology spread (maxSkew 1 over
              kubernetes.io/hostname) within groups of 50

Prints pods/s (pods / (last binding seen - first create sent)) and p50/p99 of each pod's
time from its create being sent to its binding seen in the watch. The figure to beat on a
2-core machine: about 350 pods/s for 3,000 plain pods on 1,000 nodes (Kubernetes 1.28's
kube-scheduler, client unthrottled). `--profile DIR` records the scheduler, the API server and the
simulated kubelet with py-spy (speedscope JSON per process and case). `created/s` is how
fast the API server took the creates: the scheduler cannot bind faster than pods arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubelite.client.config import load_kubeconfig
from kubelite.client.rest import Client
from kubelite.server.testing import LocalCluster
from kubelite.util.net import free_port

NAMESPACE = "bench"


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def pod(i: int, workload: str) -> dict[str, Any]:
    labels: dict[str, str] = {"bench": "yes"}
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "c",
                "image": "registry.k8s.io/pause:3.9",
                "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}},
            }
        ]
    }
    if workload == "affinity" and i % 2 == 0:
        group = f"anti-{i // 20}"
        labels["group"] = group
        spec["affinity"] = {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "labelSelector": {"matchLabels": {"group": group}},
                        "topologyKey": "kubernetes.io/hostname",
                    }
                ]
            }
        }
    elif workload == "affinity":
        group = f"spread-{i // 100}"
        labels["group"] = group
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"group": group}},
            }
        ]
    return {"metadata": {"name": f"pod-{i}", "labels": labels}, "spec": spec}


async def wait_nodes(client: Client, n: int) -> None:
    nodes = client.resource("nodes")
    while True:
        items, _ = await nodes.list_all()
        if len(items) >= n:
            return
        await asyncio.sleep(1)


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the scheduler exited")
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/readyz", context=ctx, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError("the scheduler did not become ready")


async def watch_bound(client: Client, rv: str, bound: dict[str, float], total: int) -> None:
    async with client.resource("pods").watch(namespace=NAMESPACE, resource_version=rv) as events:
        async for ev in events:
            p = ev.object
            name = p.get("metadata", {}).get("name", "")
            if name and name not in bound and (p.get("spec") or {}).get("nodeName"):
                bound[name] = time.monotonic()
                if len(bound) >= total:
                    return


async def create_pods(client: Client, total: int, workload: str, sent: dict[str, float]) -> None:
    pods = client.resource("pods")
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            body = pod(i, workload)
            sent[body["metadata"]["name"]] = time.monotonic()
            await pods.create(body, namespace=NAMESPACE)

    await asyncio.gather(*(worker() for _ in range(64)))


async def run_case(nodes: int, pods: int, workload: str, profile: Path | None) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="kubelite-sched-bench-"))
    cluster = LocalCluster(tmp / "cluster").start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        stages = tmp / "stages.yaml"
        stages.write_text("[]\n")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "kubelite", "kubelet", "--kubeconfig", str(cluster.kubeconfig),
                 "--simulated", str(nodes), "--simulated-stages", str(stages)],
                stdout=open(tmp / "kubelet.log", "wb"), stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        config = load_kubeconfig(cluster.kubeconfig).with_rate_limits(0, 1)
        async with Client(config) as client:
            await wait_nodes(client, nodes)
            port = free_port()
            sched = subprocess.Popen(
                [sys.executable, "-m", "kubelite", "scheduler", "--kubeconfig", str(cluster.kubeconfig),
                 "--leader-elect=false", "--secure-port", str(port)],
                stdout=open(tmp / "scheduler.log", "wb"), stderr=subprocess.STDOUT,
            )  # fmt: skip
            procs.append(sched)
            wait_ready(port, sched)
            await client.resource("namespaces").create({"metadata": {"name": NAMESPACE}})
            rv = (await client.resource("pods").list(namespace=NAMESPACE, limit=1))["metadata"][
                "resourceVersion"
            ]
            spies = []
            if profile is not None and shutil.which("py-spy"):
                assert cluster.process is not None
                targets = {"scheduler": sched.pid, "apiserver": cluster.process.pid, "kubelet": procs[0].pid}
                for what, pid in targets.items():
                    out = profile / f"{what}-{nodes}-{workload}.json"
                    argv = ["py-spy", "record", "--pid", str(pid), "--format", "speedscope", "-o", str(out)]
                    spies.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                await asyncio.sleep(1)
            sent: dict[str, float] = {}
            bound: dict[str, float] = {}
            watcher = asyncio.ensure_future(watch_bound(client, rv, bound, pods))
            await create_pods(client, pods, workload, sent)
            created = time.monotonic()
            await asyncio.wait_for(watcher, timeout=max(120, pods / 5))
            for spy in spies:
                spy.send_signal(signal.SIGINT)
                spy.wait(60)
        latencies = [bound[n] - sent[n] for n in bound]
        span = max(bound.values()) - min(sent.values())
        return {
            "rate": pods / span,
            "p50": _pct(latencies, 0.50),
            "p99": _pct(latencies, 0.99),
            "span": span,
            "create": pods / (created - min(sent.values())),
        }
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        cluster.stop()
        if os.environ.get("KUBELITE_BENCH_KEEP"):
            print(f"(kept {tmp})", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", default="100,1000,5000")
    ap.add_argument("--pods", type=int, default=3000)
    ap.add_argument("--workloads", default="plain,affinity")
    ap.add_argument("--profile", type=Path, help="directory for py-spy profiles of the three processes")
    args = ap.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    print(f"{args.pods} pods; {os.cpu_count()} cores; creation -> binding seen in a watch")
    columns = ("pods/s", "p50 s", "p99 s", "total s", "created/s")
    print(f"{'nodes':>6} {'workload':<9} " + " ".join(f"{c:>9}" for c in columns), flush=True)
    for n in (int(x) for x in args.nodes.split(",")):
        for w in args.workloads.split(","):
            r = asyncio.run(run_case(n, args.pods, w, args.profile))
            cells = (
                f"{r['rate']:.0f}",
                f"{r['p50']:.2f}",
                f"{r['p99']:.2f}",
                f"{r['span']:.1f}",
                f"{r['create']:.0f}",
            )
            print(f"{n:>6} {w:<9} " + " ".join(f"{c:>9}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
