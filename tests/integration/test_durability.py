"""No acknowledged write is lost when the API server is killed with SIGKILL mid-write."""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from kubelite.server.testing import LocalCluster
from kubelite.storage.testing import EtcdServer
from kubelite.util.testing import wait_for


def _opener(cluster: LocalCluster):
    cfg = yaml.safe_load(cluster.kubeconfig.read_text())
    pki = cluster.data_dir / "pki"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(pki / "admin.crt", pki / "admin.key")
    assert cfg["clusters"][0]["cluster"]["server"] == cluster.url
    return ctx


def _write_until_killed(
    cluster: LocalCluster, ctx: ssl.SSLContext, prefix: str, acknowledged: list[str], stop: threading.Event
) -> None:
    i = 0
    while not stop.is_set():
        name = f"{prefix}-{i}"
        body = json.dumps(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"i": str(i)}}
        ).encode()
        req = urllib.request.Request(
            f"{cluster.url}/api/v1/namespaces/default/configmaps",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
                if r.status == 201:
                    acknowledged.append(name)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return  # the server is gone
        i += 1


def _kill_mid_write_and_check(cluster: LocalCluster) -> None:
    ctx = _opener(cluster)
    acknowledged: list[list[str]] = [[] for _ in range(4)]
    stop = threading.Event()
    writers = [
        threading.Thread(target=_write_until_killed, args=(cluster, ctx, f"w{n}", acknowledged[n], stop))
        for n in range(4)
    ]
    for t in writers:
        t.start()
    # Kill it mid-stream: once every writer has had writes acknowledged, while they go on.
    wait_for(lambda: all(len(a) >= 25 for a in acknowledged), "each writer to have 25 writes acknowledged")
    cluster.kill()
    stop.set()
    for t in writers:
        t.join(10)
    total = sum(len(a) for a in acknowledged)
    assert total > 20, "the writers should have had writes acknowledged before the kill"

    cluster.start()
    out = cluster.kubectl("get", "configmaps", "-n", "default", "-o", "json").stdout
    present = {item["metadata"]["name"] for item in json.loads(out)["items"]}
    missing = [n for a in acknowledged for n in a if n not in present]
    assert missing == [], f"{len(missing)} acknowledged writes lost out of {total}"
    # Revisions keep growing after the restart.
    cluster.kubectl("create", "configmap", "after-restart")
    rv = json.loads(cluster.kubectl("get", "cm", "after-restart", "-o", "json").stdout)
    assert int(rv["metadata"]["resourceVersion"]) > total


def test_sqlite_keeps_every_acknowledged_write_across_sigkill(tmp_path: Path):
    cluster = LocalCluster(tmp_path / "c")
    cluster.start()
    try:
        _kill_mid_write_and_check(cluster)
    finally:
        cluster.stop()


@pytest.mark.etcd
def test_etcd_keeps_every_acknowledged_write_across_sigkill(tmp_path: Path):
    etcd = EtcdServer(tmp_path / "etcd")
    endpoint = etcd.start()
    cluster = LocalCluster(tmp_path / "c", store=f"etcd://{endpoint}")
    cluster.start()
    try:
        _kill_mid_write_and_check(cluster)
    finally:
        cluster.stop()
        etcd.stop()


@pytest.mark.etcd
def test_the_api_server_follows_etcd_through_an_etcd_restart(tmp_path: Path):
    etcd = EtcdServer(tmp_path / "etcd")
    endpoint = etcd.start()
    cluster = LocalCluster(tmp_path / "c", store=f"etcd://{endpoint}")
    cluster.start()
    try:
        cluster.kubectl("create", "configmap", "before")
        etcd.restart()
        deadline = time.monotonic() + 30
        while True:  # writes fail while etcd is away, then succeed again
            r = cluster.kubectl("create", "configmap", "after", check=False)
            if r.returncode == 0 or "AlreadyExists" in r.stderr:
                break
            assert time.monotonic() < deadline, r.stderr
            time.sleep(0.5)
        # The watch cache picked the stream up again: a fresh read sees the new object.
        names = cluster.kubectl("get", "configmaps", "-o", "name").stdout.split()
        assert "configmap/before" in names and "configmap/after" in names
    finally:
        cluster.stop()
        etcd.stop()
