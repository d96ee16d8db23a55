"""A `kubelite up` cluster per runtime (the test's own kubelite runtime, then the real
containerd) for the tests on the real local node: volumes, endpoints. Its kubelet syncs
every pod each 2 s (`--sync-frequency`) so volume updates show quickly, and limits each
pod to 1024 processes (`--pod-max-pids`)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from kubelite.runtime.testing import (
    containerd_missing,
    missing_tools,
)
from kubelite.server.testing import UpCluster, up_on_test_runtime

SYNC = 2.0
POD_MAX_PIDS = 1024  # pids.max of every pod's cgroup (test_isolation.py reads it)


@pytest.fixture(scope="module", params=["kubelite", "containerd"])
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, registry: str, pause_image: str
) -> Iterator[UpCluster]:
    if os.geteuid() != 0:
        pytest.fail("the local-node e2e tests must run as root (runc, mounts, network namespaces)")
    if missing := missing_tools() + (containerd_missing() if request.param == "containerd" else []):
        pytest.fail(f"missing tools: {' '.join(missing)}")
    work = tmp_path_factory.mktemp(f"up-localnode-{request.param}")
    with up_on_test_runtime(
        request.param,
        work,
        registry,
        pause_image,
        kubelet_args=(f"--sync-frequency={SYNC}", f"--pod-max-pids={POD_MAX_PIDS}"),
    ) as up:
        yield up
