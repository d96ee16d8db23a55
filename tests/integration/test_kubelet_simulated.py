"""Simulated nodes against a real API server: registration, heartbeats, pod phases, kill."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from kubelite.api.errors import NotFound
from kubelite.client.config import load_kubeconfig
from kubelite.client.rest import Client
from kubelite.util.testing import wait_for_async


async def test_simulated_nodes_register_heartbeat_run_pods_and_stop_renewing_when_killed(cluster, tmp_path):
    prefix = "simint-"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubelite",
            "kubelet",
            "--kubeconfig",
            str(cluster.kubeconfig),
            "--simulated",
            "3",
            "--simulated-name-prefix",
            prefix,
            "--lease-renew-interval",
            "0.5",
            "--node-status-update-frequency",
            "0.5",
        ],
        stdout=open(tmp_path / "kubelet.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        async with Client(load_kubeconfig(cluster.kubeconfig)) as client:
            nodes, leases = client.resource("nodes"), client.resource("leases", group="coordination.k8s.io")

            async def registered():
                items = (await nodes.list(label_selector="kubelite.io/simulated=true"))["items"]
                return [n for n in items if n["metadata"]["name"].startswith(prefix)]

            got = await wait_for_async(lambda: _len(registered, 3), what="3 simulated nodes")
            node = got[0]
            assert node["metadata"]["labels"]["kubelite.io/simulated"] == "true"
            assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("simulated://")
            ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}
            assert ready == {
                "Ready": "True",
                "MemoryPressure": "False",
                "DiskPressure": "False",
                "PIDPressure": "False",
            }

            name = f"{prefix}1"

            async def renew_time():
                try:
                    return (await leases.get(name, namespace="kube-node-lease"))["spec"]["renewTime"]
                except NotFound:
                    return None

            first = await wait_for_async(renew_time, what="a lease")
            await wait_for_async(lambda: _changed(renew_time, first), what="a renewal")
            lease = await leases.get(name, namespace="kube-node-lease")
            assert lease["spec"]["holderIdentity"] == name and lease["spec"]["leaseDurationSeconds"] == 40
            assert lease["metadata"]["ownerReferences"][0]["kind"] == "Node"

            pods = client.resource("pods")
            await pods.create(
                {
                    "metadata": {"name": "simpod"},
                    "spec": {"nodeName": name, "containers": [{"name": "c", "image": "busybox"}]},
                },
                namespace="default",
            )

            async def running():
                p = await pods.get("simpod", namespace="default")
                return p if p.get("status", {}).get("phase") == "Running" else None

            p = await wait_for_async(running, what="the pod to run")
            assert p["status"]["containerStatuses"][0]["ready"] is True
            assert p["status"]["podIP"] and p["status"]["qosClass"] == "BestEffort"
            await pods.delete("simpod", namespace="default")

            async def gone():
                try:
                    await pods.get("simpod", namespace="default")
                    return False
                except NotFound:
                    return True

            await wait_for_async(gone, what="the pod to be deleted")

            proc.kill()
            proc.wait()
            stopped = await renew_time()
            # Not renewing is an absence, seen only over time: three renew intervals.
            await asyncio.sleep(1.5)
            assert await renew_time() == stopped
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def _len(fn, n):
    items = await fn()
    return items if len(items) >= n else None


async def _changed(fn, old):
    new = await fn()
    return new if new and new != old else None
