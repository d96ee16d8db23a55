"""Private API servers with every default admission plugin on (ServiceAccount included):
`admitting` alone (the tests create the service accounts the service account controller
would), `controlled` with `kubelite controller-manager` running this issue's controllers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from kubelite.server.testing import LocalCluster
from kubelite.util.process import stop_process


@pytest.fixture(scope="module")
def admitting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path_factory.mktemp("admission"), controller_manager=True)
    c.start()
    yield c
    c.stop()


@pytest.fixture
def namespace(admitting: LocalCluster, request: pytest.FixtureRequest) -> str:
    """A fresh namespace with its `default` service account."""
    name = "t-" + request.node.name.lower().replace("_", "-")[:40].strip("-")
    admitting.kubectl("create", "namespace", name)
    admitting.kubectl("create", "serviceaccount", "default", "-n", name)
    return name


CONTROLLERS = (
    "serviceaccount-controller,root-ca-certificate-publisher-controller,serviceaccount-token-controller,"
    "resourcequota-controller"
)


@pytest.fixture(scope="module")
def controlled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    tmp = tmp_path_factory.mktemp("controlled")
    cluster = LocalCluster(tmp / "cluster", controller_manager=True).start()
    pki = cluster.data_dir / "pki"
    log = open(tmp / "controller-manager.log", "ab")
    kcm = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubelite",
            "controller-manager",
            "--kubeconfig",
            str(cluster.kubeconfig),
            "--secure-port",
            "0",
            "--no-leader-elect",
            "--controllers",
            CONTROLLERS,
            "--root-ca-file",
            str(pki / "ca.crt"),
            "--service-account-private-key-file",
            str(pki / "service-account.key"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield cluster
    finally:
        stop_process(kcm)
        cluster.stop()
