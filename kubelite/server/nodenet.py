"""The network of the extra nodes `kubelite up --nodes N` runs on this machine.

Each extra node is a host of its own: a network namespace kubelite makes, joined to a
bridge kubelite owns by a veth pair, with an address of its own on the node network.

    host (the local node)                              kubelite-<cluster>-<node>  (netns)
      kl-nodes0  bridge, 172.31.0.1/24  ◀── veth ──▶   eth0  172.31.0.2/24, default via .1
        └─ kl<hash>  (host end of each node's veth)      lo    127.0.0.1 (the API server's and
                                                               registries' loopback ports,
                                                               forwarded to the host's: `forward`)
                                                         kubelite0  that node's CNI bridge,
                                                               its podCIDR's gateway

Who owns what: `up` makes the bridge and its address (`ensure_bridge`) and removes them when
it stops (`remove_bridge`); each node's supervisor (`kubelite node join`, nodes.py) makes its
namespace and veth (`add_node`) and removes them when it stops (`remove_node`). Names are
derived from the cluster id (a hash of the data directory) and the node name, so another
cluster on this machine never collides and what a killed process left is found and removed
on the next start. Node processes enter the namespace with setns(2) before exec
(`enter_netns`): only the network namespace changes, so mounts the kubelet and the runtime
make stay visible to each other and to runc.

A node's only way out is its default route to the host's bridge address; what leaves the
machine from there is masqueraded to the host's address, as the local node's pods are (so
every node pulls images), and pod ranges never leave unmasqueraded. The pod networks are
routed between nodes by `kubelite hostgw`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import ipaddress
import json
import logging
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("kubelite.nodenet")

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
DEFAULT_NETWORK = "172.31.0.0/24"
DEFAULT_BRIDGE = "kl-nodes0"


@dataclass(frozen=True, slots=True)
class NodeNetwork:
    """What every extra node of one cluster on this machine shares (saved as JSON for
    `kubelite node join`, which may run later than `up`)."""

    cluster: str  # short id: names of namespaces and veths
    bridge: str
    cidr: str  # the node network; the host has its first address
    cluster_cidr: str  # the pods' range (the controller manager's --cluster-cidr)
    server: str  # the API server URL the nodes use (loopback: forwarded into each node)
    host_ports: tuple[int, ...] = ()  # loopback ports of the host every node sees too

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.cidr)

    @property
    def host_address(self) -> str:
        return str(self.network.network_address + 1)

    def address(self, index: int) -> str:
        """Node `index` (1 for the first extra node) gets the host's address + index."""
        addr = self.network.network_address + 1 + index
        if addr not in self.network or addr == self.network.broadcast_address:
            raise ValueError(f"the node network {self.cidr} has no address for node {index + 1}")
        return str(addr)

    def netns(self, node: str) -> str:
        return f"kubelite-{self.cluster}-{node}"

    def veth(self, node: str) -> str:
        return "kl" + hashlib.sha256(f"{self.cluster}/{node}".encode()).hexdigest()[:10]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**_fields(self), "host_ports": list(self.host_ports)}, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> NodeNetwork:
        data = json.loads(path.read_text())
        return cls(**{**data, "host_ports": tuple(data.get("host_ports", ()))})


def _fields(n: NodeNetwork) -> dict[str, object]:
    return {k: getattr(n, k) for k in ("cluster", "bridge", "cidr", "cluster_cidr", "server")}


def cluster_id(data_dir: Path) -> str:
    return hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:6]


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def link_exists(name: str, netns: str = "") -> bool:
    return _ip(*(["-n", netns] if netns else []), "link", "show", "dev", name, check=False).returncode == 0


class NodeNetworkError(Exception):
    """The node network cannot be made as asked; the message says what to change."""


def _owner(net: NodeNetwork) -> str:
    return f"kubelite-{net.cluster}"


def ensure_bridge(net: NodeNetwork) -> None:
    """The bridge with the host's address on the node network, up; idempotent. A bridge of
    the same name another cluster made (its alias names the owner), or the node network on
    another interface, is refused rather than shared."""
    if link_exists(net.bridge):
        alias = json.loads(_ip("-j", "link", "show", "dev", net.bridge).stdout)[0].get("ifalias", "")
        if alias != _owner(net):
            raise NodeNetworkError(
                f"the bridge {net.bridge} exists and is not this cluster's ({alias or 'no owner'}); "
                f"choose another --node-bridge, or delete it (ip link del {net.bridge}) if nothing uses it"
            )
    for link in json.loads(_ip("-j", "-4", "addr", "show").stdout or "[]"):
        for a in link.get("addr_info", []):
            here = ipaddress.IPv4Interface(f"{a['local']}/{a['prefixlen']}").network
            if link["ifname"] != net.bridge and here.overlaps(net.network):
                raise NodeNetworkError(
                    f"the node network {net.cidr} overlaps {here} on {link['ifname']}; "
                    "choose another --node-network"
                )
    if not link_exists(net.bridge):
        _ip("link", "add", "name", net.bridge, "type", "bridge")
        _ip("link", "set", net.bridge, "alias", _owner(net))
    _ip("addr", "replace", f"{net.host_address}/{net.network.prefixlen}", "dev", net.bridge)
    _ip("link", "set", net.bridge, "up")
    ensure_host_rules(net)
    log.info("node network bridge ready", extra={"bridge": net.bridge, "cidr": net.cidr})


def _host_rules(net: NodeNetwork) -> list[list[str]]:
    """The host's rules for the node network: its traffic leaving the machine is masqueraded
    to the host's address (as the local node's pods are by their CNI bridge), so every node
    pulls images and reaches what the host reaches; and it is forwarded even where the
    FORWARD policy drops (Docker's)."""
    comment = ["-m", "comment", "--comment", f"kubelite node network {net.cluster}"]
    return [
        ["-t", "nat", "POSTROUTING", "-s", net.cidr, "!", "-o", net.bridge, *comment, "-j", "MASQUERADE"],
        ["-t", "filter", "FORWARD", "-i", net.bridge, *comment, "-j", "ACCEPT"],
        ["-t", "filter", "FORWARD", "-o", net.bridge, *comment, "-j", "ACCEPT"],
    ]


def _iptables(op: str, rule: list[str]) -> bool:
    table, chain, spec = rule[:2], rule[2], rule[3:]
    argv = ["iptables", "-w", "5", *table, op, chain, *(["1"] if op == "-I" else []), *spec]
    return subprocess.run(argv, capture_output=True).returncode == 0


def ensure_host_rules(net: NodeNetwork) -> None:
    for rule in _host_rules(net):
        if not _iptables("-C", rule) and not _iptables("-I", rule):
            raise NodeNetworkError(f"iptables refused a rule of the node network: {' '.join(rule)}")


def remove_bridge(net: NodeNetwork) -> None:
    """The bridge and the host's rules for the node network."""
    for rule in _host_rules(net):
        while _iptables("-D", rule):
            pass
    _ip("link", "del", net.bridge, check=False)


def netns_exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


def add_node(net: NodeNetwork, node: str, address: str) -> None:
    """The node's namespace, its veth on the bridge, its address and default route; anything
    a killed earlier run of the same node left is removed first."""
    remove_node(net, node)
    if not link_exists(net.bridge):
        raise NodeNetworkError(
            f"the node bridge {net.bridge} does not exist: is `kubelite up --nodes` running?"
        )
    ns, veth = net.netns(node), net.veth(node)
    _ip("netns", "add", ns)
    try:
        _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("link", "set", veth, "master", net.bridge, "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "addr", "add", f"{address}/{net.network.prefixlen}", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", ns, "route", "add", "default", "via", net.host_address)
        subprocess.run(
            ["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as err:
        remove_node(net, node)
        raise NodeNetworkError(f"could not make the network of node {node}: {err.stderr.strip()}") from err
    log.info("node namespace ready", extra={"netns": ns, "address": address, "veth": veth})


def remove_node(net: NodeNetwork, node: str) -> None:
    """Kill what still runs in the node's namespace, then remove the namespace and its veth."""
    ns = net.netns(node)
    if netns_exists(ns):
        pids = _ip("netns", "pids", ns, check=False).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        _ip("netns", "del", ns, check=False)
    if link_exists(net.veth(node)):
        _ip("link", "del", net.veth(node), check=False)


_libc = ctypes.CDLL(None, use_errno=True)


def _setns(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")
    finally:
        os.close(fd)


def enter_netns(netns: str, then: Callable[[], None] | None = None) -> Callable[[], None]:
    """A `preexec_fn`: the child joins the network namespace (nothing else), then runs `then`."""
    path = str(NETNS_DIR / netns)

    def preexec() -> None:
        _setns(path)
        if then is not None:
            then()

    return preexec


def listen_in_netns(netns: str, host: str, port: int) -> socket.socket:
    """A listening TCP socket inside the namespace. setns(2) changes only the calling thread,
    so a short-lived thread makes the socket there; the socket stays in that namespace."""
    out: list[socket.socket | BaseException] = []

    def make() -> None:
        try:
            _setns(str(NETNS_DIR / netns))
            out.append(socket.create_server((host, port)))
        except BaseException as err:  # handed to the caller's thread
            out.append(err)

    t = threading.Thread(target=make, name=f"listen-in-{netns}")
    t.start()
    t.join()
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]


async def forward(netns: str, port: int) -> None:
    """Serve 127.0.0.1:`port` inside the namespace by connecting to the host's 127.0.0.1:`port`
    (the API server and loopback registries the node's kubelet and runtime must reach)."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    try:
        sock = await asyncio.to_thread(listen_in_netns, netns, "127.0.0.1", port)
    except OSError as err:  # the node's kubelet or runtime will say what it misses; say why
        log.error("cannot forward port %d into %s: %s", port, netns, err)
        raise
    server = await asyncio.start_server(handle, sock=sock)
    async with server:
        await server.serve_forever()
