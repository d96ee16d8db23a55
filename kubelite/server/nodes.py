"""Extra nodes on this machine: `kubelite node join` and `kubelite node remove`.

`kubelite node join` runs one extra node in the foreground, as `up` runs the cluster: it
makes the node's network namespace (nodenet.py), forwards the host's loopback ports the
node needs into it (the API server's, loopback registries'), starts the node's components
in the namespace (`node_components`: its own runtime, kubelet and host-gateway agent) and
supervises them. `up --nodes N` runs N-1 of these as its children; a user adds one to a
running cluster with the same command.

    DIR/nodes/network.json   the node network (written by `up --nodes`, read by join)
    DIR/nodes/NAME/          the node's own: runtime/, runtime.sock, net.d/, kubelet/, pods/,
                             manifests/, pki/kubelet*.{crt,key}, kubelet.kubeconfig
    DIR/nodes/NAME/pid       the join process, while it runs
    DIR/nodes/NAME/removed   left by `node remove`: `up` does not start it again

Stopping a join (SIGTERM, SIGINT, or its parent `up` ending) takes the node down whole:
the kubelet first, then every pod sandbox through the CRI (so the CNI plugins release the
pods' addresses and veths), the runtime and the agent, then the namespace, the veth and
the cgroups. Unlike the local node, whose containers outlive `up`, an extra node leaves
nothing running: its network exists only while it runs. Its Node object stays (NotReady),
as a stopped machine's would, and it comes back when the node joins again.

`kubelite node remove NAME` stops the node's join process if it runs on this machine,
waits for its clean-up, and deletes the Node object (node IPAM frees its podCIDR, every
agent drops its route, pod GC deletes its pods).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kubelite.kubelet.cgroups import remove_cgroup
from kubelite.server import controlplane, localnode, nodenet
from kubelite.server.nodenet import NodeNetwork
from kubelite.server.supervisor import Component, socket_ready, stop, supervise, until_ready
from kubelite.util.mounts import unmount_under
from kubelite.util.pki import ensure_cluster_pki

log = logging.getLogger("kubelite.node")

WHO = "kubelite node join"


def network_file(d: Path) -> Path:
    return d / "nodes" / "network.json"


def node_dir(d: Path, name: str) -> Path:
    return d / "nodes" / name


def extra_node_name(local: str, index: int) -> str:
    """The local node is the first; extra node `index` is `<local name>-<index + 1>`."""
    return f"{local}-{index + 1}"


def hostgw_argv(kubeconfig: Path, name: str, cluster_cidr: str) -> list[str]:
    return [sys.executable, "-m", "kubelite", "hostgw", "--kubeconfig", str(kubeconfig)] + [
        "--node-name",
        name,
        "--cluster-cidr",
        cluster_cidr,
    ]


@dataclass(frozen=True, slots=True)
class NodeProxy:
    """Whether an extra node runs its own `kubelite proxy` (as every Kubernetes node runs
    kube-proxy), and with which further flags."""

    enabled: bool = True
    args: tuple[str, ...] = ()


def join_argv(
    d: Path,
    name: str,
    index: int,
    registry_mirrors: tuple[str, ...],
    kubelet_args: list[str],
    proxy: NodeProxy = NodeProxy(),
) -> list[str]:
    argv = [sys.executable, "-m", "kubelite", "node", "join", "--data-dir", str(d), "--name", name]
    argv += ["--index", str(index), *(f"--registry-mirror={m}" for m in registry_mirrors)]
    argv += [] if proxy.enabled else ["--no-proxy"]
    argv += [f"--proxy-arg={a}" for a in proxy.args]
    return argv + [f"--kubelet-arg={a}" for a in kubelet_args]


def node_components(
    d: Path,
    net: NodeNetwork,
    name: str,
    address: str,
    registry_mirrors: tuple[str, ...],
    kubelet_args: tuple[str, ...] = (),
    proxy: NodeProxy = NodeProxy(),
) -> list[Component]:
    """An extra node's components, in start order, each run inside the node's namespace.

    This is the per-node list: a component every node runs (kube-proxy) is here, and beside
    the local node's in up.py."""
    nd = node_dir(d, name)
    (nd / "pki").mkdir(parents=True, exist_ok=True)
    pki = ensure_cluster_pki(d / "pki")
    kubeconfig = localnode.kubelet_kubeconfig(nd, pki, net.server, name)
    cgroup = f"/{net.netns(name)}"
    serving = localnode.kubelet_server_args(nd, pki, name, address, localnode.KUBELET_PORT, node_ip=address)
    runtime_args = [f"--cgroup-parent={cgroup}", f"--cni-ipam-dir={nd / 'ipam'}"]
    runtime = localnode.runtime_argv(nd, registry_mirrors, runtime_args)
    kubelet = localnode.kubelet_argv(
        nd,
        kubeconfig,
        name,
        f"unix://{nd / 'runtime.sock'}",
        [*serving, f"--cgroup-root={cgroup}", *kubelet_args],
    )
    enter = nodenet.enter_netns(net.netns(name))
    components = [
        Component("runtime", runtime, socket_ready(nd / "runtime.sock"), preexec=enter),
        Component("kubelet", kubelet, preexec=enter),
        Component("hostgw", hostgw_argv(kubeconfig, name, net.cluster_cidr), preexec=enter),
    ]
    if proxy.enabled:  # its rules live in the node's namespace, gone with it
        user = "system:kube-proxy"
        proxy_kubeconfig = controlplane.component_kubeconfig(nd, pki, net.server, "proxy", user)
        proxy_argv = localnode.proxy_argv(
            proxy_kubeconfig,
            name,
            address,
            localnode.PROXY_HEALTHZ_PORT,
            localnode.PROXY_METRICS_PORT,
            ["--cluster-cidr", net.cluster_cidr, *proxy.args],
        )
        components.append(Component("proxy", proxy_argv, preexec=enter))
    return components


def forwarded_ports(net: NodeNetwork) -> list[int]:
    """The host's loopback ports a node sees on its own loopback: the API server's (when it
    is on loopback) and the ones `up` was told (loopback registries)."""
    url = urlsplit(net.server)
    ports = list(net.host_ports)
    if url.hostname in ("127.0.0.1", "localhost") and url.port:
        ports.insert(0, url.port)
    return list(dict.fromkeys(ports))


def _alive(pid_file: Path) -> int:
    """The pid in `pid_file` if that process runs, else 0."""
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return 0
    return pid


def free_index(d: Path) -> int:
    """The first extra node index (its address) no node running on this machine holds."""
    taken = set()
    for pid_file in (d / "nodes").glob("*/pid"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if _alive(pid_file):
                taken.add(int(pid_file.read_text().split()[1]))
    index = 1
    while index in taken:
        index += 1
    return index


async def remove_all_pods(endpoint: str) -> None:
    """Stop and remove every pod sandbox of the node's runtime (their containers with them)."""
    from kubelite.cri.client import RemoteRuntime

    try:
        async with RemoteRuntime(endpoint, timeout=30) as rt:
            for sb in await rt.list_pod_sandbox():
                await rt.stop_pod_sandbox(sb.id)
                await rt.remove_pod_sandbox(sb.id)
    except Exception as err:  # the runtime is gone already: the namespace's end kills the rest
        log.warning("could not remove the node's pods through the CRI: %s", err)


def sweep_previous_run(nd: Path) -> None:
    """What a killed earlier run of this node left (a clean stop leaves none of it): its
    containers, which runc still runs after their monitors died with the namespace, their
    mounts, the runtime's records of them and their IP leases. Images stay."""
    runc_root = nd / "runtime" / "runc"
    for cid in os.listdir(runc_root) if runc_root.is_dir() else ():
        subprocess.run(["runc", "--root", str(runc_root), "delete", "--force", cid], capture_output=True)
    unmount_under(nd)
    for leftover in (
        nd / "runtime" / "sandboxes",
        nd / "runtime" / "containers",
        nd / "runtime" / "runc",
        nd / "ipam",
    ):
        shutil.rmtree(leftover, ignore_errors=True)


async def run_join(
    d: Path,
    name: str,
    index: int,
    registry_mirrors: tuple[str, ...],
    kubelet_args: tuple[str, ...] = (),
    proxy: NodeProxy = NodeProxy(),
) -> int:
    d = d.resolve()
    if not network_file(d).exists():
        print(
            f"{WHO}: {d} has no node network; start the cluster with `kubelite up --data-dir {d} --nodes 2` "
            "(or more) first",
            file=sys.stderr,
        )
        return 1
    net = NodeNetwork.load(network_file(d))
    index = index or free_index(d)
    name = name or extra_node_name(localnode.node_name(), index)
    nd = node_dir(d, name)
    if pid := _alive(nd / "pid"):
        print(f"{WHO}: node {name} runs already (process {pid})", file=sys.stderr)
        return 1
    (nd / "pki").mkdir(parents=True, exist_ok=True)
    (nd / "removed").unlink(missing_ok=True)
    (nd / "pid").write_text(f"{os.getpid()} {index}\n")
    address = net.address(index)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    components: list[Component] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        await asyncio.to_thread(sweep_previous_run, nd)
        try:
            await asyncio.to_thread(nodenet.add_node, net, name, address)
        except nodenet.NodeNetworkError as err:
            print(f"{WHO}: {err}", file=sys.stderr, flush=True)
            return 1
        print(f"{WHO}: node {name} at {address} (namespace {net.netns(name)})", file=sys.stderr, flush=True)
        components = node_components(d, net, name, address, registry_mirrors, kubelet_args, proxy)
        tasks += [asyncio.create_task(nodenet.forward(net.netns(name), p)) for p in forwarded_ports(net)]
        for c in components:
            tasks.append(asyncio.create_task(supervise(c, stopping, WHO), name=c.name))
            await until_ready(c, stopping, WHO)
        await stopping.wait()
    finally:
        stopping.set()
        await _take_down(net, nd, name, components)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        (nd / "pid").unlink(missing_ok=True)
    return 0


async def _take_down(net: NodeNetwork, nd: Path, name: str, components: list[Component]) -> None:
    """The kubelet (so nothing restarts the pods), the pods, the rest; then the network."""
    for c in components:
        if c.name == "kubelet":
            await stop(c)
    await remove_all_pods(f"unix://{nd / 'runtime.sock'}")
    await asyncio.gather(*(stop(c) for c in components))
    await asyncio.to_thread(nodenet.remove_node, net, name)
    await asyncio.to_thread(remove_cgroup, f"/{net.netns(name)}")
    await asyncio.to_thread(unmount_under, nd)
    print(f"{WHO}: node {name} stopped; its namespace is removed", file=sys.stderr, flush=True)


async def run_remove(d: Path, name: str, timeout: float = 60.0) -> int:
    """Stop the node's join process (if it runs here), then delete its Node object."""
    import aiohttp

    from kubelite.api import errors
    from kubelite.client.config import ConfigError, load_kubeconfig
    from kubelite.client.rest import Client

    d = d.resolve()
    nd = node_dir(d, name)
    if pid := _alive(nd / "pid"):
        (nd / "removed").write_text("")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(nd / "pid") and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        if _alive(nd / "pid"):
            print(f"kubelite node remove: node {name} did not stop within {timeout:.0f}s", file=sys.stderr)
            return 1
    if network_file(d).exists():  # what a killed join left on this machine
        await asyncio.to_thread(nodenet.remove_node, NodeNetwork.load(network_file(d)), name)
    try:
        async with Client(load_kubeconfig(d / "kubeconfig")) as client:
            with contextlib.suppress(errors.NotFound):
                await client.resource("nodes").delete(name)
    except (errors.APIError, ConfigError, OSError, aiohttp.ClientError) as err:
        print(f"kubelite node remove: the Node object of {name} is not deleted: {err}", file=sys.stderr)
        return 1
    print(f"node/{name} removed", flush=True)
    return 0


def add_subcommands(sub: Any, run: Callable[[Any], int]) -> None:
    node = sub.add_parser("node", help="add or remove nodes of a cluster on this machine")
    nsub = node.add_subparsers(dest="node_command", required=True)
    join = nsub.add_parser("join", help="run one more node, in a network namespace of its own (foreground)")
    join.add_argument(
        "--data-dir", default=".kubelite", help="the data directory of the running `kubelite up`"
    )
    join.add_argument("--name", default="", help="default: <local node>-<n>, the first free n")
    join.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    join.add_argument("--registry-mirror", action="append", default=[], metavar="REGISTRY=ENDPOINT")
    join.add_argument(
        "--kubelet-arg", action="append", default=[], metavar="--FLAG=VALUE", help="one more kubelet flag"
    )
    join.add_argument("--no-proxy", action="store_true", help="run no kubelite proxy on the node")
    join.add_argument(
        "--proxy-arg", action="append", default=[], metavar="--FLAG=VALUE", help="one more proxy flag"
    )
    join.set_defaults(
        func=lambda a: run(
            run_join(
                Path(a.data_dir),
                a.name,
                a.index,
                tuple(a.registry_mirror),
                tuple(a.kubelet_arg),
                NodeProxy(not a.no_proxy, tuple(a.proxy_arg)),
            )
        )
    )
    remove = nsub.add_parser("remove", help="stop a node of this machine and delete its Node object")
    remove.add_argument("name")
    remove.add_argument("--data-dir", default=".kubelite")
    remove.set_defaults(func=lambda a: run(run_remove(Path(a.data_dir), a.name)))
