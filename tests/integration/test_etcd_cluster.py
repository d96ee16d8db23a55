"""Several API servers sharing one etcd behave as one cluster."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kubelite.server.testing import LocalCluster
from kubelite.storage.testing import EtcdServer
from kubelite.util.testing import Lines, wait_for

pytestmark = pytest.mark.etcd


@pytest.fixture
def two_apiservers(tmp_path: Path):
    etcd = EtcdServer(tmp_path / "etcd")
    endpoint = etcd.start()
    a = LocalCluster(tmp_path / "a", store=f"etcd://{endpoint}").start()
    b = LocalCluster(tmp_path / "b", store=f"etcd://{endpoint}").start()
    yield a, b
    a.stop()
    b.stop()
    etcd.stop()


def test_a_write_on_one_api_server_is_read_and_watched_on_the_other(two_apiservers):
    a, b = two_apiservers
    # -v=6: kubectl logs each response it gets, the watch's among them once it is established.
    watcher = subprocess.Popen(
        ["kubectl", "get", "configmaps", "-w", "-o", "name", "-v=6", "--request-timeout=20s"],
        env=b.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None and watcher.stderr is not None
        Lines(watcher.stderr).wait_for(
            lambda line: "watch=true" in line and "200 OK" in line, "the watch on b"
        )
        a.kubectl("create", "configmap", "shared", "--from-literal=k=v")
        got = json.loads(b.kubectl("get", "cm", "shared", "-o", "json").stdout)
        assert got["data"] == {"k": "v"}
        line = watcher.stdout.readline()
        assert line.strip() == "configmap/shared"
    finally:
        watcher.kill()


def test_stale_updates_through_either_server_conflict(two_apiservers, tmp_path):
    a, b = two_apiservers
    a.kubectl("create", "configmap", "race", "--from-literal=n=0")
    stale = json.loads(b.kubectl("get", "cm", "race", "-o", "json").stdout)
    a.kubectl("label", "cm", "race", "by=a")
    stale["data"]["n"] = "1"
    f = tmp_path / "stale.json"
    f.write_text(json.dumps(stale))
    r = b.kubectl("replace", "-f", str(f), check=False)
    assert r.returncode == 1 and "Conflict" in r.stderr


def test_service_ips_are_unique_across_api_servers(two_apiservers):
    a, b = two_apiservers
    for i in range(10):
        (a if i % 2 else b).kubectl("create", "service", "clusterip", f"s{i}", "--tcp=80:80")
    out = json.loads(a.kubectl("get", "svc", "-o", "json").stdout)
    ips = [s["spec"]["clusterIP"] for s in out["items"] if s["metadata"]["name"].startswith("s")]
    assert len(ips) == 10 and len(set(ips)) == 10


def _kubernetes_ips(cluster: LocalCluster) -> list[str]:
    ep = json.loads(cluster.kubectl("get", "endpoints", "kubernetes", "-o", "json").stdout)
    return sorted(a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses") or [])


def _slice_ips(cluster: LocalCluster) -> list[str]:
    s = json.loads(cluster.kubectl("get", "endpointslice", "kubernetes", "-o", "json").stdout)
    return sorted(ep["addresses"][0] for ep in s.get("endpoints") or [])


def test_the_kubernetes_service_has_an_endpoint_per_live_api_server(tmp_path: Path):
    etcd = EtcdServer(tmp_path / "etcd")
    endpoint = etcd.start()
    # Addresses from TEST-NET-1: advertised only, nothing connects to them here.
    a = LocalCluster(
        tmp_path / "a", store=f"etcd://{endpoint}", extra_args=["--advertise-address", "192.0.2.10"]
    )
    b = LocalCluster(
        tmp_path / "b", store=f"etcd://{endpoint}", extra_args=["--advertise-address", "192.0.2.11"]
    )
    try:
        a.start()
        b.start()
        both = ["192.0.2.10", "192.0.2.11"]
        wait_for(lambda: _kubernetes_ips(a) == both and _slice_ips(a) == both, "both API servers", timeout=30)
        b.stop()  # a clean stop takes b out at once
        wait_for(lambda: _kubernetes_ips(a) == ["192.0.2.10"], "b to leave the endpoints", timeout=30)
        assert _slice_ips(a) == ["192.0.2.10"]
    finally:
        a.stop()
        b.stop()
        etcd.stop()
