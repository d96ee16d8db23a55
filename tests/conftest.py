"""Fixtures shared by the integration and end-to-end suites: a real API server process."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelite.server.testing import LocalCluster


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
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


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
