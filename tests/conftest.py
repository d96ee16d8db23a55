"""Fixtures shared by the integration and end-to-end suites: a real API server process, and a
local registry holding the tests' busybox image (no test may reach the Internet).

The fixtures are thin: what they run is shipped next to what it stands in for
(kubelite.server.testing, kubelite.image.testing), so benchmarks use the same harnesses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelite.image.testing import LocalRegistry, build_busybox_layout, missing_tools
from kubelite.server.testing import LocalCluster
from kubelite.util.process import stop_process


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """One SQLite-backed API server shared by the tests that only add their own objects."""
    c = LocalCluster(tmp_path_factory.mktemp("cluster"))
    c.start()
    yield c
    c.stop()


@pytest.fixture(scope="session")
def controller_manager(cluster: LocalCluster) -> Iterator[subprocess.Popen[bytes]]:
    """`kubelite controller-manager` on the shared cluster with the controllers that are part
    of API semantics - namespace teardown and disruption budgets - and not the workload
    controllers, so the objects other tests make stay as they made them."""
    assert cluster.log_path is not None
    log = open(cluster.log_path.parent / "controller-manager.log", "ab")
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubelite",
            "controller-manager",
            "--kubeconfig",
            str(cluster.kubeconfig),
            "--controllers",
            "namespace-controller,disruption-controller",
            "--no-leader-elect",
            "--secure-port",
            "0",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield p
    stop_process(p)


@pytest.fixture
def fresh_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    """A private API server for tests that restart or kill it."""
    c = LocalCluster(tmp_path / "cluster")
    c.start()
    yield c
    c.stop()


@pytest.fixture
def api_client(cluster: LocalCluster):
    """The official `kubernetes` Python client, configured from the cluster's kubeconfig."""
    from kubernetes import config

    api = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    yield api
    api.close()


@pytest.fixture(scope="session")
def busybox_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OCI layout directory holding busybox:latest."""
    if os.geteuid() != 0:
        pytest.fail("the image harness must run as root (umoci unpacks with the files' owners)")
    if missing := missing_tools():
        pytest.fail(f"missing tools; run ./scripts/install-deps or apt-get install {' '.join(missing)}")
    return build_busybox_layout(tmp_path_factory.mktemp("busybox"))


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory, busybox_layout: Path) -> Iterator[str]:
    """host:port of a local registry holding busybox:latest, also as library/busybox:latest
    for tests that use it as a mirror of docker.io."""
    with LocalRegistry(tmp_path_factory.mktemp("registry")) as reg:
        for name in ("busybox", "library/busybox"):
            reg.push(busybox_layout, name)
        yield reg.address
