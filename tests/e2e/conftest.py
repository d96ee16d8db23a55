"""Fixtures for the end-to-end tests that run containers: real runc, CNI plugins, a registry.

The registry (tests/conftest.py) holds a busybox image built from Debian's busybox-static.
Each test gets its own runtime process (own root, socket, CNI bridge, subnet and cgroup) and
everything it made is torn down afterwards, even when the test fails; the harnesses are
kubelite.runtime.testing's.

A test on `cri_runtime` runs twice: against kubelite's runtime and against the real
containerd - the runtime tests are the CRI contract both must keep, and the kubelet must not
be able to tell them apart. A test that needs kubelite's runtime itself (`runtime_process`:
restarting it, its CNI plugin list; or marked `kubelite_only`) runs against that one only.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.cri.client import RemoteRuntime
from kubelite.runtime.testing import (
    ContainerdProcess,
    CRIRuntime,
    RuntimeProcess,
    containerd_missing,
    missing_tools,
    next_index,
    push_pause_image,
    remove_all_sandboxes,
    set_pod_cidr,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cni_plugins(*plugins): extra CNI plugins for the test's runtime")
    config.addinivalue_line("markers", "kubelite_only(reason): only on kubelite's runtime, for the reason")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test on `cri_runtime` runs on each runtime, unless it needs kubelite's own."""
    if "cri_runtime" in metafunc.fixturenames:
        kubelite_only = (
            "runtime_process" in metafunc.fixturenames
            or metafunc.definition.get_closest_marker("cni_plugins") is not None
            or metafunc.definition.get_closest_marker("kubelite_only") is not None
        )
        kinds = ["kubelite"] if kubelite_only else ["kubelite", "containerd"]
        metafunc.parametrize("cri_runtime", kinds, indirect=True)


def _require_root_and_tools(missing: list[str]) -> None:
    if os.geteuid() != 0:
        pytest.fail("the runtime's e2e tests must run as root (runc, mounts, network namespaces)")
    if missing:
        pytest.fail(f"missing tools; run ./scripts/install-deps or apt-get install {' '.join(missing)}")


@pytest.fixture
def runtime_process(
    tmp_path: Path, registry: str, request: pytest.FixtureRequest
) -> Iterator[RuntimeProcess]:
    """The test's runtime; `@pytest.mark.cni_plugins({...})` appends plugins to its network."""
    _require_root_and_tools(missing_tools())
    marker = request.node.get_closest_marker("cni_plugins")
    rt = RuntimeProcess(tmp_path, next_index(), marker.args if marker else ())
    try:
        yield rt.start()
    finally:
        rt.cleanup()


@pytest.fixture(scope="session")
def pause_image(registry: str, busybox_layout: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sandbox image containerd is configured with, in the local registry."""
    return push_pause_image(busybox_layout, tmp_path_factory.mktemp("pause"), registry)


@pytest.fixture
async def containerd_process(
    tmp_path: Path, registry: str, pause_image: str
) -> AsyncIterator[ContainerdProcess]:
    """A containerd of the test's own, its network configured for its pod CIDR (as the
    kubelet would); every sandbox it made is removed afterwards."""
    _require_root_and_tools(containerd_missing() + missing_tools())
    ctd = ContainerdProcess(
        tmp_path / "containerd", index=next_index(), registry=registry, sandbox_image=pause_image
    )
    try:
        ctd.start()
        await set_pod_cidr(ctd.endpoint, ctd.pod_cidr)
        yield ctd
        await remove_all_sandboxes(ctd.endpoint)
    finally:
        ctd.cleanup()


@pytest.fixture
def cri_runtime(request: pytest.FixtureRequest) -> CRIRuntime:
    """kubelite's runtime or containerd, as pytest_generate_tests parametrized the test."""
    name = "runtime_process" if request.param == "kubelite" else "containerd_process"
    rt: RuntimeProcess | ContainerdProcess = request.getfixturevalue(name)
    return CRIRuntime(rt.name, rt.endpoint, rt.pod_cidr, rt.cgroup_parent)


@pytest.fixture
async def cri(cri_runtime: CRIRuntime) -> AsyncIterator[RemoteRuntime]:
    async with RemoteRuntime(cri_runtime.endpoint) as client:
        yield client


@pytest.fixture
async def image(cri: RemoteRuntime, registry: str) -> str:
    """busybox:latest, pulled into the test's runtime."""
    ref = f"{registry}/busybox:latest"
    await cri.pull_image(pb.ImageSpec(image=ref))
    return ref
