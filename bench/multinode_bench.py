"""Multi-node benchmark: how long real extra nodes take to come, join, go and be cleaned up.

    sudo python bench/multinode_bench.py [--nodes 2,4]

For each N, `kubelite up --nodes N --no-local-node` (N-1 extra nodes, each in a network
namespace with its own runtime, kubelet and hostgw; no pods) on a bridge, node network and
cluster CIDR of its own, then:

    all Ready      seconds from starting `up` until every extra node is Ready and the
                   host has a route to each node's podCIDR
    join           seconds from `kubelite node join` until that node is Ready and routed
    remove         seconds for `kubelite node remove` (processes, namespace, Node object)
    stop           seconds from SIGTERM to `up` until it has exited
    left behind    namespaces, veths, routes and rules of the cluster after the stop (0)

Wall-clock seconds on this machine (the processes are Python: most of a node's start is its
interpreters starting). Root is needed (network namespaces).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubelite.server.nodenet import NodeNetwork
from kubelite.util.net import free_port
from kubelite.util.testing import wait_for


def kubectl(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(data / "kubeconfig"), "HOME": str(data)}
    return subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=60)


def ready_and_routed(data: Path, names: set[str]) -> bool:
    r = kubectl(data, "get", "nodes", "-o", "json")
    if r.returncode != 0:
        return False
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True).stdout
    seen = set()
    for n in json.loads(r.stdout)["items"]:
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))
        cidr = n["spec"].get("podCIDR")
        if ready and cidr and f"{cidr} via " in routes:
            seen.add(n["metadata"]["name"])
    return names <= seen


def leftovers(net: NodeNetwork) -> int:
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
    routes = subprocess.run(
        ["ip", "route", "show", "root", net.cluster_cidr, "proto", "75"], capture_output=True, text=True
    ).stdout
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
    return (
        namespaces.count(f"kubelite-{net.cluster}-")
        + (net.bridge in links)
        + len(routes.splitlines())
        + rules.count(f"kubelite node network {net.cluster}")
        + rules.count(f"without NAT in {net.cluster_cidr}")
    )


def run(n: int, work: Path, slot: int) -> dict[str, float]:
    data = work / f"nodes{n}"
    net_args = [
        f"--nodes={n}",
        f"--node-bridge=kl-bench{slot}",
        f"--node-network=172.31.{240 + slot}.0/24",
        f"--cluster-cidr=10.{40 + slot}.0.0/16",
        "--node-kubelet-arg=--node-status-update-frequency=1",
    ]
    argv = [sys.executable, "-m", "kubelite", "up", "--data-dir", str(data), f"--port={free_port()}"]
    log = open(work / f"up{n}.log", "wb")
    t0 = time.monotonic()
    up = subprocess.Popen([*argv, "--no-local-node", *net_args], stdout=log, stderr=subprocess.STDOUT)
    out: dict[str, float] = {}
    try:
        names = {f"{os.uname().nodename.lower()}-{i + 1}" for i in range(1, n)}
        wait_for(lambda: ready_and_routed(data, names), "the nodes", timeout=300, interval=0.5)
        out["all Ready"] = time.monotonic() - t0
        net = NodeNetwork.load(data / "nodes" / "network.json")
        t1 = time.monotonic()
        join = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubelite",
                "node",
                "join",
                "--data-dir",
                str(data),
                "--name",
                "joined",
                "--kubelet-arg=--node-status-update-frequency=1",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: ready_and_routed(data, {"joined"}), "the joined node", timeout=300, interval=0.5)
        out["join"] = time.monotonic() - t1
        t2 = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "kubelite", "node", "remove", "joined", "--data-dir", str(data)],
            check=True,
            capture_output=True,
        )
        join.wait(60)
        out["remove"] = time.monotonic() - t2
    finally:
        t3 = time.monotonic()
        up.send_signal(signal.SIGTERM)
        up.wait(120)
        out["stop"] = time.monotonic() - t3
    out["left behind"] = leftovers(net)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", default="2,4")
    args = p.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: extra nodes are network namespaces")
    sizes = [int(x) for x in args.nodes.split(",")]
    with tempfile.TemporaryDirectory(prefix="kubelite-multinode-bench-") as tmp:
        rows = [(n, run(n, Path(tmp), slot)) for slot, n in enumerate(sizes)]
    cols = ["all Ready", "join", "remove", "stop", "left behind"]
    print(f"{'nodes':>6} " + " ".join(f"{c:>12}" for c in cols))
    for n, r in rows:
        print(
            f"{n:>6} "
            + " ".join(f"{r[c]:>12.1f}" if c != "left behind" else f"{int(r[c]):>12}" for c in cols)
        )


if __name__ == "__main__":
    main()
