"""Fixtures for the kubelet's end-to-end tests: a real API server, a real CRI runtime pulling
the tests' busybox image from a local registry, and a kubelet in-process with short back-offs
and probe-friendly intervals (options only; defaults untouched).

Every test that uses `kubelet` runs twice, once per CRI runtime the kubelet supports:
kubelite's own (`kubelite runtime`: runc, CNI) and the real containerd (Debian's package,
see containerd.py) - the kubelet must not be able to tell them apart."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from runtime.conftest import *  # noqa: E402,F401,F403  (the registry, runtime_process fixtures)
from runtime.conftest import RuntimeProcess  # noqa: E402

from kubelet import containerd  # noqa: E402

from kubelite.client.config import load_kubeconfig  # noqa: E402
from kubelite.client.rest import Client  # noqa: E402
from kubelite.cri.client import RemoteRuntime  # noqa: E402
from kubelite.kubelet.kubelet import Kubelet  # noqa: E402
from kubelite.kubelet.options import BackOffOptions, KubeletOptions  # noqa: E402

_nodes = itertools.count(1)


@pytest.fixture
async def api(cluster):
    async with Client(load_kubeconfig(cluster.kubeconfig).with_rate_limits(100, 200)) as client:
        yield client


def _pod_cidr(rt: RuntimeProcess) -> str:
    """The upper half of the runtime's own subnet: unique to this test, and not the range
    its CNI configuration starts with, so pod IPs show the runtime followed the kubelet."""
    return str(list(ipaddress.ip_network(rt.subnet).subnets())[1])


@dataclass
class NodeRuntime:
    """The CRI runtime under a test's kubelet: its endpoint, its CRI name (`containerID`s
    start with `<name>://`) and a pod CIDR of the test's own."""
    name: str
    endpoint: str
    pod_cidr: str


@pytest.fixture(scope="session")
def pause_image(registry: str, busybox_layout: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return containerd.push_pause_image(busybox_layout, tmp_path_factory.mktemp("pause"), registry)


async def _remove_all_sandboxes(endpoint: str) -> None:
    """Stop and remove every pod sandbox through the CRI, so the runtime releases network
    namespaces, IPs and mounts itself before it is stopped."""
    rt = RemoteRuntime(endpoint, timeout=30)
    try:
        for sb in await rt.list_pod_sandbox():
            await rt.stop_pod_sandbox(sb.id)
            await rt.remove_pod_sandbox(sb.id)
    except Exception:
        pass   # best effort; the process clean-up below kills what is left
    finally:
        await rt.close()


@pytest.fixture
async def containerd_process(tmp_path: Path, registry: str, pause_image: str):
    """A containerd of the test's own; every sandbox it made is removed afterwards."""
    if containerd.missing():
        pytest.fail("containerd is missing; run ./scripts/install-deps or apt-get install containerd")
    ctd = containerd.ContainerdProcess(tmp_path / "containerd", index=next(_nodes), registry=registry,
                                       sandbox_image=pause_image)
    ctd.start()
    try:
        yield ctd
        await _remove_all_sandboxes(ctd.endpoint)
    finally:
        ctd.cleanup()


@pytest.fixture(params=["kubelite", "containerd"])
def node_runtime(request: pytest.FixtureRequest) -> NodeRuntime:
    if request.param == "kubelite":
        rt: RuntimeProcess = request.getfixturevalue("runtime_process")
        return NodeRuntime("kubelite", str(rt.socket), _pod_cidr(rt))
    ctd: containerd.ContainerdProcess = request.getfixturevalue("containerd_process")
    return NodeRuntime("containerd", ctd.endpoint, f"10.{150 + os.getpid() % 50}.{ctd.index % 250}.0/24")


@pytest.fixture
async def kubelet(cluster, node_runtime: NodeRuntime, tmp_path):
    name = f"e2e-node-{os.getpid()}-{next(_nodes)}"
    options = KubeletOptions(
        node_name=name, container_runtime_endpoint=node_runtime.endpoint,
        lease_renew_interval=1.0, node_status_update_frequency=1.0, pleg_relist_period=0.2,
        crash_loop_backoff=BackOffOptions(1.0, 4.0), image_pull_backoff=BackOffOptions(1.0, 4.0),
        default_pod_cidr=node_runtime.pod_cidr,
        pod_log_dir=tmp_path / "pods", pod_manifest_path=tmp_path / "manifests", file_check_frequency=0.5)
    (tmp_path / "manifests").mkdir()
    client = Client(load_kubeconfig(cluster.kubeconfig).with_rate_limits(100, 200))
    runtime = RemoteRuntime(node_runtime.endpoint)
    k = Kubelet(client, runtime, options)
    ready = asyncio.Event()
    task = asyncio.create_task(k.run(ready))
    await asyncio.wait([task, asyncio.ensure_future(ready.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield k
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        # With its kubelet gone nothing would ever finish deleting the node's pods (there is no
        # node lifecycle controller here), so the next test could not reuse their names.
        pods = client.resource("pods")
        for pod in (await pods.list(field_selector=f"spec.nodeName={name}"))["items"]:
            try:
                await pods.delete(pod["metadata"]["name"], namespace=pod["metadata"]["namespace"],
                                  grace_period_seconds=0)
            except Exception:
                pass
        await client.close()
        await runtime.close()


async def wait_for(fn, timeout: float = 30.0, what: str = "condition"):
    deadline = asyncio.get_running_loop().time() + timeout
    last = None
    while asyncio.get_running_loop().time() < deadline:
        try:
            last = await fn()
        except Exception as err:  # not there yet
            last = err
        else:
            if last:
                return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")
