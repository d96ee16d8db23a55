"""Fixtures for the kubelet's end-to-end tests: a real API server, a real CRI runtime pulling
the tests' busybox image from a local registry, and a kubelet in-process with short back-offs
and probe-friendly intervals (options only; defaults untouched).

Every test that uses `kubelet` runs twice, once per CRI runtime the kubelet supports:
kubelite's own (`kubelite runtime`: runc, CNI) and the real containerd (Debian's package;
tests/e2e/conftest.py and kubelite.runtime.testing) - the kubelet must not be able to tell
them apart."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator

import pytest

from kubelite.api.errors import NotFound
from kubelite.client.config import load_kubeconfig
from kubelite.client.rest import Client
from kubelite.cri.client import RemoteRuntime
from kubelite.kubelet.cgroups import remove_cgroup
from kubelite.kubelet.kubelet import Kubelet
from kubelite.kubelet.options import BackOffOptions, KubeletOptions
from kubelite.runtime.testing import CRIRuntime, remove_all_sandboxes, unmount_under

_nodes = itertools.count(1)


@pytest.fixture
async def api(cluster):
    async with Client(load_kubeconfig(cluster.kubeconfig).with_rate_limits(100, 200)) as client:
        yield client


@pytest.fixture
def node_name() -> Iterator[str]:
    """The test's node; its cgroup root (`/kubelite-e2e-<name>`) goes at teardown, after the
    runtime's own clean-up: the pod cgroups under it can go only once the runtime has removed
    its containers' cgroups, which it may finish after the kubelet is stopped."""
    name = f"e2e-node-{os.getpid()}-{next(_nodes)}"
    yield name
    remove_cgroup(f"/kubelite-e2e-{name}")


@pytest.fixture
def node_runtime(node_name: str, cri_runtime: CRIRuntime) -> CRIRuntime:
    """The runtime under the test's kubelet (tests/e2e/conftest.py parametrizes it); set up
    after `node_name`, so torn down before it."""
    return cri_runtime


@pytest.fixture
async def kubelet(cluster, node_name: str, node_runtime: CRIRuntime, tmp_path):
    name = node_name
    options = KubeletOptions(
        node_name=name,
        container_runtime_endpoint=node_runtime.endpoint,
        lease_renew_interval=1.0,
        node_status_update_frequency=1.0,
        pleg_relist_period=0.2,
        crash_loop_backoff=BackOffOptions(1.0, 4.0),
        image_pull_backoff=BackOffOptions(1.0, 4.0),
        default_pod_cidr=node_runtime.pod_cidr,
        pod_log_dir=tmp_path / "pods",
        root_dir=tmp_path / "kubelet",
        pod_manifest_path=tmp_path / "manifests",
        file_check_frequency=0.5,
        cgroup_root=f"/kubelite-e2e-{name}",
        address="127.0.0.1",
        port=0,  # a free port: its HTTPS server's, published in the Node's daemonEndpoints
        client_ca_file=cluster.data_dir / "pki" / "ca.crt",
    )
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
        unmount_under(tmp_path / "kubelet")  # tmpfs volumes of pods the kubelet left running
        # With its kubelet gone nothing would ever finish deleting the node's pods (there is no
        # node lifecycle controller here), so the next test could not reuse their names.
        pods = client.resource("pods")
        for pod in (await pods.list(field_selector=f"spec.nodeName={name}"))["items"]:
            try:
                await pods.delete(
                    pod["metadata"]["name"], namespace=pod["metadata"]["namespace"], grace_period_seconds=0
                )
            except NotFound:  # deleted since the list
                pass
        await client.close()
        await runtime.close()
        # The runtime removes its sandboxes, killing their containers (their cgroups: node_name).
        await remove_all_sandboxes(node_runtime.endpoint)
