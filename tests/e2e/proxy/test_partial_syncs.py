"""A partial sync leaves the node's rules exactly as a full sync of the same state would:
each mode's proxier syncs state A fully then state B partially in one network namespace, and
B fully in another; `iptables-save` / `nft list table` of the two must match (rule order per
chain included; only the order of map and set elements may differ). A table of hundreds of
services goes through the restores of many chains (which list the table first) the same way,
and `--cleanup` takes every chain of it away."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from kubelite.proxy.changes import ChangeTracker, Snapshot
from kubelite.proxy.iptables.proxier import IptablesProxier
from kubelite.proxy.iptables.rules import RulesConfig
from kubelite.proxy.netcmd import Runner
from kubelite.proxy.nftables.proxier import NftablesProxier
from kubelite.proxy.nftables.rules import NftConfig
from kubelite.proxy.testing import READY, endpoint_slice, service


@pytest.fixture
def netns() -> Iterator[list[str]]:
    names = [f"kl-test-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for n in names:
        subprocess.run(["ip", "netns", "add", n], check=True)
    yield names
    for n in names:
        subprocess.run(["ip", "netns", "del", n], check=False)


def states() -> tuple[ChangeTracker, Snapshot, Snapshot]:
    tracker = ChangeTracker("me")
    affinity = {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}}
    tracker.service_updated(service("web", type="NodePort"))
    tracker.service_updated(service("api", ip="10.96.0.11", **affinity))
    tracker.service_updated(service("gone", ip="10.96.0.12"))
    tracker.slice_updated(endpoint_slice("web", *((f"10.244.1.{i}", dict(READY)) for i in (1, 2, 3))))
    tracker.slice_updated(endpoint_slice("api", ("10.244.2.1", dict(READY)), ("10.244.2.2", dict(READY))))
    tracker.slice_updated(endpoint_slice("gone", ("10.244.3.1", dict(READY))))
    a = tracker.take()
    tracker.slice_updated(endpoint_slice("web", ("10.244.1.1", dict(READY)), ("10.244.1.4", dict(READY))))
    tracker.slice_updated(endpoint_slice("api", ("10.244.2.2", dict(READY))))
    tracker.service_updated(service("gone", ip="10.96.0.12"), deleted=True)
    tracker.service_updated(service("new", ip="10.96.0.13"))
    return tracker, a, tracker.take()


def _normal(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    out = []
    for line in lines:  # elements of maps and sets in any order
        m = re.match(r"elements = \{ (.*) \}", line)
        out.append("elements = " + ",".join(sorted(m.group(1).split(", "))) if m else line)
    return out


def test_an_iptables_partial_sync_ends_where_a_full_sync_does(netns: list[str]):
    _, a, b = states()
    assert b.changed == {"ns/web", "ns/api", "ns/gone", "ns/new"}
    config = RulesConfig(cluster_cidr="10.244.0.0/16")
    incremental = IptablesProxier(config, Runner(netns[0]))
    assert incremental.sync(a).full and not incremental.sync(b).full
    IptablesProxier(config, Runner(netns[1])).sync(b)
    saves = [Runner(n).run("iptables-save").stdout for n in netns]
    assert _normal(saves[0]) == _normal(saves[1])
    assert "10.244.3.1" not in saves[0] and "-X" not in saves[0]


def large_states(count: int = 300) -> tuple[Snapshot, Snapshot]:
    tracker = ChangeTracker("me")
    for i in range(count):
        ips = (f"10.244.{i // 100}.{2 * (i % 100) + j}" for j in (1, 2))
        tracker.service_updated(service(f"s{i}", ip=f"10.96.{i // 200}.{i % 200 + 1}"))
        tracker.slice_updated(endpoint_slice(f"s{i}", *((ip, dict(READY)) for ip in ips)))
    a = tracker.take()
    tracker.slice_updated(endpoint_slice("s7", ("10.244.9.9", dict(READY))))
    return a, tracker.take()


def test_a_large_iptables_table_syncs_fully_partially_and_is_cleaned_up(netns: list[str]):
    a, b = large_states()
    config = RulesConfig(cluster_cidr="10.244.0.0/16")
    incremental = IptablesProxier(config, Runner(netns[0]))
    assert incremental.sync(a).full
    assert "*nat\n-S\n" in incremental.last_text  # the restore of many chains
    assert not incremental.sync(b).full
    IptablesProxier(config, Runner(netns[1])).sync(b)
    saves = [Runner(n).run("iptables-save", "-t", "nat").stdout for n in netns]
    assert _normal(saves[0]) == _normal(saves[1])
    chains = [line.split()[0] for line in saves[0].splitlines() if line.startswith(":KUBE-")]
    assert sum(c.startswith(":KUBE-SVC-") for c in chains) == 300
    assert sum(c.startswith(":KUBE-SEP-") for c in chains) == 599
    assert "10.244.9.9:8080" in saves[0]
    incremental.cleanup()
    assert ":KUBE-" not in Runner(netns[0]).run("iptables-save", "-t", "nat").stdout


def test_an_nftables_partial_sync_ends_where_a_full_sync_does(netns: list[str]):
    _, a, b = states()
    config = NftConfig(cluster_cidr="10.244.0.0/16")
    incremental = NftablesProxier(config, Runner(netns[0]))
    assert incremental.sync(a).full and not incremental.sync(b).full
    assert len(incremental.last_text.splitlines()) < 60  # only the changed services' parts
    NftablesProxier(config, Runner(netns[1])).sync(b)
    tables = [Runner(n).run("nft", "list", "table", "ip", "kube-proxy").stdout for n in netns]
    assert sorted(_normal(tables[0])) == sorted(_normal(tables[1]))
    assert _chains(tables[0]) == _chains(tables[1])  # each chain's rules in the same order
    assert "10.244.3.1" not in tables[0]


def _chains(table: str) -> dict[str, list[str]]:
    chains: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in table.splitlines():
        m = re.match(r"\s*chain (\S+) \{", line)
        if m:
            current = chains.setdefault(m.group(1), [])
        elif line.strip() == "}":
            current = None
        elif current is not None and line.strip():
            current.append(line.strip())
    return chains
