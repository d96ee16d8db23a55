"""One `kubelite up --nodes 3` for the module: the local node on a runtime of the test's own
(its own bridge and cgroup in the host's namespace), two extra nodes in network namespaces on
a bridge, node network and cluster CIDR of this test process's own, so that concurrent
clusters on the machine never meet."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubelite.runtime.testing import missing_tools
from kubelite.server.testing import UpCluster, up_on_test_runtime

STATUS = 2.0  # seconds between node status computations: a node is Ready soon after its network


@dataclass(frozen=True)
class MultiNode:
    up: UpCluster
    data_dir: Path
    bridge: str
    node_network: ipaddress.IPv4Network
    cluster_cidr: ipaddress.IPv4Network


@pytest.fixture(scope="module")
def multinode(
    tmp_path_factory: pytest.TempPathFactory, registry: str, pause_image: str
) -> Iterator[MultiNode]:
    if os.geteuid() != 0:
        pytest.fail("the multi-node e2e tests must run as root (network namespaces, runc, mounts)")
    if missing := missing_tools():
        pytest.fail(f"missing tools: {' '.join(missing)}")
    pid = os.getpid()
    bridge = f"kl-mn{pid % 100000}"
    node_network = ipaddress.IPv4Network(f"172.31.{100 + pid % 150}.0/24")
    cluster_cidr = ipaddress.IPv4Network(f"10.{60 + pid % 30}.0.0/16")
    work = tmp_path_factory.mktemp("multinode")
    up_args = (
        "--nodes=3",
        f"--node-bridge={bridge}",
        f"--node-network={node_network}",
        f"--cluster-cidr={cluster_cidr}",
        f"--node-host-port={registry.rsplit(':', 1)[1]}",  # the tests' registry, on the host's loopback
        f"--node-kubelet-arg=--node-status-update-frequency={STATUS}",
    )
    kubelet_args = (f"--node-status-update-frequency={STATUS}",)
    with up_on_test_runtime(
        "kubelite",
        work,
        registry,
        pause_image,
        kubelet_args=kubelet_args,
        up_args=up_args,
        nodes=3,
        proxy=True,  # a kubelite proxy on every node (lane A runs one cluster with a proxy at a time)
    ) as up:
        yield MultiNode(up, work / "data", bridge, node_network, cluster_cidr)
