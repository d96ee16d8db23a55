"""Service accounts through the real kubectl, with `kubelite controller-manager` running the
service account controllers: a new namespace gets its `default` ServiceAccount and its
`kube-root-ca.crt` ConfigMap, and a pod can be created there at once."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from kubelite.server.testing import LocalCluster
from kubelite.util.process import stop_process
from kubelite.util.testing import wait_for

CONTROLLERS = "serviceaccount-controller,root-ca-certificate-publisher-controller"


@pytest.fixture(scope="module")
def sa_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    tmp = tmp_path_factory.mktemp("serviceaccounts")
    cluster = LocalCluster(tmp / "cluster", service_accounts=True).start()
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


def _get(cluster: LocalCluster, *args: str) -> dict | None:
    r = cluster.kubectl("get", *args, "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def test_a_new_namespace_gets_its_default_service_account_and_root_ca(sa_cluster):
    sa_cluster.kubectl("create", "namespace", "fresh")
    wait_for(
        lambda: _get(sa_cluster, "serviceaccount", "default", "-n", "fresh"), "the default service account"
    )
    cm = wait_for(
        lambda: _get(sa_cluster, "configmap", "kube-root-ca.crt", "-n", "fresh"), "kube-root-ca.crt"
    )
    assert cm["data"]["ca.crt"] == (sa_cluster.data_dir / "pki" / "ca.crt").read_text()
    sa_cluster.kubectl("run", "p", "--image=busybox", "-n", "fresh")
