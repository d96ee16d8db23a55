"""Controller benchmark: a Deployment of N replicas until every pod is Ready, then rolled to a
new image until every new pod is Ready and every old one gone; and J Jobs of one pod each
until every Job is Complete.

python bench/controller_bench.py [--replicas 1000,5000] [--nodes 100] [--qps 20,200] [--jobs 1000]

For each replica count and client budget: a real API server (SQLite), one `kubelite kubelet
--simulated N` process (100 nodes; a bound pod is Running and Ready as soon as its node
sees it, so the time measured is the control plane's), one `kubelite scheduler` and one
`kubelite controller-manager` (leader election off; `--kube-api-qps Q --kube-api-burst 1.5Q`,
the budget each controller's own client gets - Kubernetes' default is 20/30). This process
creates the Deployment and watches its status.

    create   Deployment created → status.readyReplicas = N (every pod bound and Ready)
    rollout  image changed → updatedReplicas = availableReplicas = replicas = N and the
             observed generation current (what `kubectl rollout status` waits for)

    jobs     J Jobs created (50 requests at a time) → every Job has its Complete condition
             (the simulated kubelet completes a Job's pod as soon as it runs it); each Job
             costs the controllers a pod creation, the tracking-finalizer removal and status
             writes, and the scheduler a binding

`req/s` is the API requests the controllers made per second over the phase (the controller
manager's rest_client_requests_total, watches included), `requests` their number. Because
the simulated nodes can join a real Kubernetes control plane (they are API clients only),
the same phases can be timed against kube-controller-manager: with its defaults (20 QPS per
controller) it needs at least N/20 s to create N pods, the bound of the `--qps 20` rows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubelite.client.config import load_kubeconfig
from kubelite.client.rest import Client
from kubelite.server.testing import LocalCluster
from kubelite.util.net import free_port
from kubelite.util.process import stop_process
from kubelite.util.testing import wait_for, wait_for_async

NAMESPACE = "bench"


def deployment(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "registry.k8s.io/pause:3.9",
                            "resources": {"requests": {"cpu": "10m", "memory": "10Mi"}},
                        }
                    ]
                },
            },
        },
    }


def get(port: int, path: str) -> str:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with urllib.request.urlopen(f"https://127.0.0.1:{port}{path}", context=ctx, timeout=10) as r:
        return str(r.read().decode())


def wait_ready(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 300) -> None:
    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited")
        get(port, "/readyz")
        return True

    wait_for(ready, f"{what} to be ready", timeout=timeout, interval=0.5, ignoring=(OSError,))


def requests_made(port: int) -> float:
    """The controller manager's API requests so far (rest_client_requests_total)."""
    total = 0.0
    for line in get(port, "/metrics").splitlines():
        if line.startswith("rest_client_requests_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def wait_status(client: Client, done: Any, what: str, timeout: float) -> None:
    deployments = client.resource("deployments", group="apps")

    async def there() -> bool:
        return bool(done(await deployments.get("web", namespace=NAMESPACE)))

    await wait_for_async(there, what, timeout=timeout, interval=0.25)


def rolled_out(replicas: int) -> Any:
    def check(d: dict[str, Any]) -> bool:
        s = d.get("status") or {}
        return bool(
            s.get("observedGeneration", 0) >= d["metadata"]["generation"]
            and s.get("updatedReplicas") == replicas
            and s.get("availableReplicas") == replicas
            and s.get("replicas") == replicas
            and s.get("readyReplicas") == replicas
        )

    return check


def start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kubelite", *argv], stdout=open(log, "ab"), stderr=subprocess.STDOUT
    )


@contextlib.asynccontextmanager
async def control_plane(nodes: int, qps: int) -> AsyncIterator[tuple[Client, int]]:
    """An API server, simulated nodes, a scheduler and a controller manager; yields a client
    and the controller manager's metrics port."""
    tmp = Path(tempfile.mkdtemp(prefix="kubelite-controller-bench-"))
    cluster = LocalCluster(tmp / "cluster").start()
    kc = str(cluster.kubeconfig)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(start(["kubelet", "--kubeconfig", kc, "--simulated", str(nodes)], tmp / "kubelet.log"))
        sched_port, kcm_port = free_port(), free_port()
        procs.append(
            start(
                ["scheduler", "--kubeconfig", kc, "--no-leader-elect", "--secure-port", str(sched_port)],
                tmp / "scheduler.log",
            )
        )
        kcm = start(
            [
                "controller-manager",
                "--kubeconfig",
                kc,
                "--no-leader-elect",
                "--secure-port",
                str(kcm_port),
                "--kube-api-qps",
                str(qps),
                "--kube-api-burst",
                str(int(qps * 1.5)),
            ],
            tmp / "controller-manager.log",
        )
        procs.append(kcm)
        wait_ready(sched_port, procs[1], "the scheduler")
        wait_ready(kcm_port, kcm, "the controller manager")
        config = load_kubeconfig(cluster.kubeconfig).with_rate_limits(500, 500)
        async with Client(config) as client:
            while len((await client.resource("nodes").list())["items"]) < nodes:
                await asyncio.sleep(1)
            await client.resource("namespaces").create({"metadata": {"name": NAMESPACE}})
            yield client, kcm_port
    finally:
        for p in reversed(procs):
            stop_process(p, grace=30)
        cluster.stop()


async def run_case(replicas: int, nodes: int, qps: int) -> dict[str, float]:
    async with control_plane(nodes, qps) as (client, kcm_port):
        deployments = client.resource("deployments", group="apps")
        before, t0 = requests_made(kcm_port), time.monotonic()
        await deployments.create(deployment(replicas), namespace=NAMESPACE)
        await wait_status(
            client,
            lambda d: (d.get("status") or {}).get("readyReplicas") == replicas,
            "every pod Ready",
            3600,
        )
        create_s, create_req = time.monotonic() - t0, requests_made(kcm_port) - before

        before, t0 = requests_made(kcm_port), time.monotonic()
        patch = {
            "spec": {
                "template": {"spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}}
            }
        }
        await deployments.patch("web", patch, namespace=NAMESPACE)
        await wait_status(client, rolled_out(replicas), "the rollout", 3600)
        rollout_s, rollout_req = time.monotonic() - t0, requests_made(kcm_port) - before
    return {
        "create_s": create_s,
        "create_req": create_req,
        "rollout_s": rollout_s,
        "rollout_req": rollout_req,
    }


def job(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": f"job-{i}"},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {"name": "c", "image": "busybox", "resources": {"requests": {"cpu": "1m"}}}
                    ],
                }
            }
        },
    }


def complete(j: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Complete" and c.get("status") == "True"
        for c in (j.get("status") or {}).get("conditions") or []
    )


async def run_jobs(count: int, nodes: int, qps: int) -> dict[str, float]:
    """`count` Jobs of one pod each: time to create them and until every one is Complete."""
    async with control_plane(nodes, qps) as (client, kcm_port):
        jobs = client.resource("jobs", group="batch")
        before, t0 = requests_made(kcm_port), time.monotonic()
        gate = asyncio.Semaphore(50)

        async def create(i: int) -> None:
            async with gate:
                await jobs.create(job(i), namespace=NAMESPACE)

        await asyncio.gather(*(create(i) for i in range(count)))
        created_s = time.monotonic() - t0

        async def all_complete() -> bool:
            items, _ = await jobs.list_all(namespace=NAMESPACE)
            return sum(map(complete, items)) == count

        await wait_for_async(all_complete, "every Job Complete", timeout=3600, interval=1.0)
        return {
            "created_s": created_s,
            "complete_s": time.monotonic() - t0,
            "req": requests_made(kcm_port) - before,
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--replicas", default="1000,5000")
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--qps", default="20,200", help="each controller's client QPS (burst 1.5x)")
    ap.add_argument("--jobs", type=int, default=1000, help="Jobs of one pod each for the Job row (0: none)")
    args = ap.parse_args()
    rows = []
    job_rows = []
    for qps in (int(q) for q in args.qps.split(",")):
        if args.jobs:
            jr = asyncio.run(run_jobs(args.jobs, args.nodes, qps))
            job_rows.append((qps, jr))
            print(f"done: {args.jobs} jobs, qps {qps}: {jr}", file=sys.stderr, flush=True)
        for replicas in (int(r) for r in args.replicas.split(",") if r):
            r = asyncio.run(run_case(replicas, args.nodes, qps))
            rows.append((replicas, qps, r))
            print(f"done: {replicas} replicas, qps {qps}: {r}", file=sys.stderr, flush=True)
    if rows:
        print_deployment_rows(args.nodes, rows)
    if job_rows:
        print_job_rows(args.nodes, args.jobs, job_rows)


def print_deployment_rows(nodes: int, rows: list[tuple[int, int, dict[str, float]]]) -> None:
    print(f"\nDeployment on {nodes} simulated nodes (kubelite controller-manager, scheduler, API server)\n")
    head = ("replicas", "qps", "create s", "req", "req/s", "rollout s", "req", "req/s")
    widths = (8, 5, 9, 7, 7, 10, 7, 7)
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True)))
    for replicas, qps, r in rows:
        cells = (
            f"{replicas}",
            f"{qps}",
            f"{r['create_s']:.1f}",
            f"{r['create_req']:.0f}",
            f"{r['create_req'] / r['create_s']:.1f}",
            f"{r['rollout_s']:.1f}",
            f"{r['rollout_req']:.0f}",
            f"{r['rollout_req'] / r['rollout_s']:.1f}",
        )
        print(" ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))


def print_job_rows(nodes: int, count: int, rows: list[tuple[int, dict[str, float]]]) -> None:
    print(f"\nJobs of one pod each on {nodes} simulated nodes: created, then every one Complete\n")
    head = ("jobs", "qps", "created s", "complete s", "req", "jobs/s")
    widths = (6, 5, 10, 11, 7, 7)
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True)))
    for qps, r in rows:
        cells = (
            f"{count}",
            f"{qps}",
            f"{r['created_s']:.1f}",
            f"{r['complete_s']:.1f}",
            f"{r['req']:.0f}",
            f"{count / r['complete_s']:.1f}",
        )
        print(" ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))


if __name__ == "__main__":
    main()
