"""The extra nodes' network on the real kernel, inside a network namespace of the test's own
(so the host's links are never touched): a node namespace joined to the bridge reaches the
host's address, a loopback port of the host answers inside the node, the host masquerades
what leaves the node network, a second cluster's
bridge or an overlapping node network is refused, and removing the node leaves nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

SCRIPT = r"""
import asyncio, socket, subprocess, sys
from kubelite.server import nodenet
from kubelite.server.nodenet import NodeNetwork, NodeNetworkError

cluster = sys.argv[1]
net = NodeNetwork(cluster, "kl-t0", "172.31.9.0/24", "10.244.0.0/16", "https://127.0.0.1:1")
nodenet.ensure_bridge(net)
nodenet.ensure_bridge(net)  # idempotent
rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
assert rules.count(f"kubelite node network {cluster}") == 3, rules
nodenet.add_node(net, "n1", net.address(1))
ns = net.netns("n1")

def run(*argv):
    return subprocess.run(argv, capture_output=True, text=True)

ping = run("ip", "netns", "exec", ns, "busybox", "ping", "-c", "1", "-W", "5", net.host_address)
assert ping.returncode == 0, ping.stdout + ping.stderr
assert "via 172.31.9.1" in run("ip", "-n", ns, "route", "show", "default").stdout
assert run("ip", "netns", "exec", ns, "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1"

async def forwarded():
    async def hello(reader, writer):
        writer.write(b"hello from the host")
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(hello, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    task = asyncio.create_task(nodenet.forward(ns, port))
    client = (
        "import socket, sys; s = socket.create_connection(('127.0.0.1', int(sys.argv[1])));"
        " print(s.recv(100).decode())"
    )
    for _ in range(50):
        proc = await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", ns, sys.executable, "-c", client, str(port),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        out, _ = await proc.communicate()
        if proc.returncode == 0:
            break
        await asyncio.sleep(0.1)
    task.cancel()
    server.close()
    return out.decode().strip()

assert asyncio.run(forwarded()) == "hello from the host"

for other in (NodeNetwork("other", "kl-t0", "172.31.9.0/24", "10.244.0.0/16", ""),
              NodeNetwork(cluster, "kl-t1", "172.31.9.0/25", "10.244.0.0/16", "")):
    try:
        nodenet.ensure_bridge(other)
    except NodeNetworkError as err:
        print("refused:", err)
    else:
        raise AssertionError(f"{other} was not refused")

nodenet.remove_node(net, "n1")
assert ns not in run("ip", "netns", "list").stdout
assert run("ip", "link", "show", net.veth("n1")).returncode != 0
nodenet.remove_bridge(net)
assert run("ip", "link", "show", "kl-t0").returncode != 0
assert f"kubelite node network {cluster}" not in run("iptables-save").stdout
print("ok")
"""


@pytest.fixture
def test_netns() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.fail("network namespaces need root")
    name = f"kl-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_a_node_namespace_on_the_bridge_reaches_the_host_and_leaves_nothing_when_removed(test_netns: str):
    cluster = uuid.uuid4().hex[:6]
    try:
        r = subprocess.run(
            ["ip", "netns", "exec", test_netns, sys.executable, "-c", SCRIPT, cluster],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:  # the node's namespace is a name in /run/netns, shared with the host: never leave it
        subprocess.run(["ip", "netns", "del", f"kubelite-{cluster}-n1"], capture_output=True)
    assert r.returncode == 0, r.stdout + r.stderr
    refusals = [line for line in r.stdout.splitlines() if line.startswith("refused:")]
    assert len(refusals) == 2 and "is not this cluster's" in refusals[0] and "overlaps" in refusals[1]
    assert r.stdout.splitlines()[-1] == "ok"
