"""A `kubelite up` cluster per runtime (the test's own kubelite runtime, then the real
containerd) for the tests on the real local node: volumes, endpoints. Its kubelet syncs
every pod each 2 s (`--sync-frequency`) so volume updates show quickly."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from kubelite.kubelet.cgroups import remove_cgroup
from kubelite.runtime.testing import (
    ContainerdProcess,
    RuntimeProcess,
    containerd_missing,
    missing_tools,
    next_index,
    remove_all_sandboxes,
    set_pod_cidr,
)
from kubelite.server.testing import UpCluster

SYNC = 2.0


@pytest.fixture(scope="module", params=["kubelite", "containerd"])
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, registry: str, pause_image: str
) -> Iterator[UpCluster]:
    if os.geteuid() != 0:
        pytest.fail("the volume e2e tests must run as root (runc, mounts, network namespaces)")
    if missing := missing_tools() + (containerd_missing() if request.param == "containerd" else []):
        pytest.fail(f"missing tools: {' '.join(missing)}")
    work = tmp_path_factory.mktemp(f"up-volumes-{request.param}")
    index = next_index()
    runtime: RuntimeProcess | ContainerdProcess
    if request.param == "kubelite":
        runtime = RuntimeProcess(work / "runtime", index)
    else:
        runtime = ContainerdProcess(
            work / "containerd", index=index, registry=registry, sandbox_image=pause_image
        )
    runtime.start()
    cgroup_root = f"/kubelite-e2e-up-{os.getpid()}-{index}"
    up = UpCluster(
        work / "data",
        runtime.endpoint,
        runtime.pod_cidr,
        cgroup_root,
        kubelet_args=(f"--sync-frequency={SYNC}",),
    )
    try:
        asyncio.run(set_pod_cidr(runtime.endpoint, runtime.pod_cidr))
        up.start()
        yield up
    finally:
        up.kubectl("delete", "pods", "--all", "--grace-period=0", "--force", "--wait=false", check=False)
        up.stop()
        asyncio.run(remove_all_sandboxes(runtime.endpoint))
        runtime.cleanup()
        remove_cgroup(cgroup_root)
