"""Fixtures for the runtime's end-to-end tests: real runc, CNI plugins and registry.

A session registry (Debian's docker-registry on 127.0.0.1) holds a busybox image built
here from Debian's busybox-static with umoci and pushed with skopeo. Each test gets its
own runtime process (own root, socket, CNI bridge and subnet) and everything it made is
torn down afterwards, even when the test fails.

The tests speak only CRI (`cri`), and run twice: against kubelite's runtime and against
the real containerd (containerd.py) - the suite is the CRI contract both must keep. A test
that needs kubelite's runtime itself (`runtime_process`: restarting it, its CNI plugin
list) runs against that one only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.cri.client import RemoteRuntime
from kubelite.kubelet.cgroups import remove_cgroup
from kubelite.util.net import free_port

from . import containerd
from .containerd import stop_process, unmount_under, wait_for_socket

NEEDED = {
    "runc": "runc",
    "umoci": "umoci",
    "skopeo": "skopeo",
    "docker-registry": "docker-registry",
    "unshare": "util-linux",
    "/usr/lib/cni/bridge": "containernetworking-plugins",
    "/usr/lib/cni/host-local": "containernetworking-plugins",
}
BUSYBOX = "/bin/busybox"
_counter = itertools.count(1)


def _require() -> None:
    if os.geteuid() != 0:
        pytest.fail("the runtime's e2e tests must run as root (runc, mounts, network namespaces)")
    missing = sorted(
        {
            pkg
            for binary, pkg in NEEDED.items()
            if not (os.path.exists(binary) if binary.startswith("/") else shutil.which(binary))
        }
    )
    if not os.path.exists(BUSYBOX):
        missing.append("busybox-static")
    if missing:
        pytest.fail(f"missing tools; run ./scripts/install-deps or apt-get install {' '.join(missing)}")


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


def wait_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port}")


def build_busybox_layout(work: Path) -> Path:
    """An OCI layout with one image, busybox:latest: the static busybox and its applets."""
    layout, bundle = work / "layout", work / "bundle"
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    run("umoci", "init", "--layout", str(layout))
    run("umoci", "new", "--image", f"{layout}:latest")
    run("umoci", "unpack", "--image", f"{layout}:latest", str(bundle))
    rootfs = bundle / "rootfs"
    for d in ("bin", "etc", "tmp", "root"):
        (rootfs / d).mkdir(exist_ok=True)
    shutil.copy2(BUSYBOX, rootfs / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            (rootfs / "bin" / applet).symlink_to("busybox")
    (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    run("umoci", "repack", "--image", f"{layout}:latest", str(bundle))
    run(
        "umoci",
        "config",
        "--image",
        f"{layout}:latest",
        "--config.cmd",
        "sh",
        "--config.env",
        "PATH=/bin",
        "--config.workingdir",
        "/",
    )
    return layout


@pytest.fixture(scope="session")
def busybox_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OCI layout directory holding busybox:latest."""
    _require()
    return build_busybox_layout(tmp_path_factory.mktemp("busybox"))


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory, busybox_layout: Path):
    """host:port of a local registry holding busybox:latest (also as library/busybox:latest)."""
    work = tmp_path_factory.mktemp("registry")
    port = free_port()
    (work / "config.yml").write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {work / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\nlog:\n  level: error\n"
    )
    proc = subprocess.Popen(
        ["docker-registry", "serve", str(work / "config.yml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        # busybox, and library/busybox for tests that use it as a mirror of docker.io
        for name in ("busybox", "library/busybox"):
            subprocess.run(
                [
                    "skopeo",
                    "copy",
                    "--dest-tls-verify=false",
                    f"oci:{busybox_layout}:latest",
                    f"docker://127.0.0.1:{port}/{name}:latest",
                ],
                check=True,
                capture_output=True,
            )
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class RuntimeProcess:
    """A `kubelite runtime` child process with its own root, socket and CNI network."""

    def __init__(self, root: Path, index: int, extra_plugins: tuple[dict, ...] = ()) -> None:
        self.root = root
        self.index = index
        self.socket = root / "cri.sock"
        self.net_d = root / "net.d"
        self.bridge = f"kl-br{os.getpid() % 1000}-{index}"[:15]
        self.subnet = f"10.{200 + (os.getpid() % 50)}.{index % 250}.0/24"
        self.net_d.mkdir(parents=True)
        (self.net_d / "10-kubelite.conflist").write_text(
            json.dumps(
                {
                    "cniVersion": "0.4.0",
                    "name": f"kubelite-test-{index}",
                    "plugins": [
                        {
                            "type": "bridge",
                            "bridge": self.bridge,
                            "isGateway": True,
                            "ipMasq": False,
                            "ipam": {
                                "type": "host-local",
                                "ranges": [[{"subnet": self.subnet}]],
                                "dataDir": str(root / "ipam"),
                            },
                        },
                        {"type": "loopback"},
                        *extra_plugins,
                    ],
                }
            )
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubelite",
                "runtime",
                "--root",
                str(self.root / "state"),
                "--socket",
                str(self.socket),
                "--cni-conf-dir",
                str(self.net_d),
                "--cgroup-parent",
                self.cgroup_parent,
            ],
            stdout=open(self.root / "runtime.log", "ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for_socket(self.proc, self.socket, self.root / "runtime.log", "runtime", timeout=20)

    def stop(self) -> None:
        stop_process(self.proc, timeout=10)
        self.proc = None

    def cleanup(self) -> None:
        """Kill every container, release namespaces and mounts, delete the bridge."""
        self.stop()
        state = self.root / "state"
        runc_root = state / "runc"
        if runc_root.is_dir():
            for cid in os.listdir(runc_root):
                subprocess.run(
                    ["runc", "--root", str(runc_root), "delete", "--force", cid], capture_output=True
                )
        unmount_under(self.root)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        remove_cgroup(self.cgroup_parent)

    @property
    def cgroup_parent(self) -> str:
        return f"/kubelite-test-{os.getpid()}-{self.index}"


def new_runtime(tmp_path: Path, extra_plugins: tuple[dict, ...] = ()) -> RuntimeProcess:
    return RuntimeProcess(tmp_path, next(_counter) + (os.getpid() % 7) * 20, extra_plugins)


@pytest.fixture
def runtime_process(tmp_path: Path, registry: str, request: pytest.FixtureRequest):
    """The test's runtime; `@pytest.mark.cni_plugins({...})` appends plugins to its network."""
    marker = request.node.get_closest_marker("cni_plugins")
    rt = new_runtime(tmp_path, marker.args if marker else ())
    rt.start()
    try:
        yield rt
    finally:
        rt.cleanup()


@pytest.fixture(scope="session")
def pause_image(registry: str, busybox_layout: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sandbox image containerd is configured with, in the local registry."""
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
        pass  # best effort; the process clean-up kills what is left
    finally:
        await rt.close()


async def _network_ready(rt: RemoteRuntime, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conditions = {c.type: c.status for c in (await rt.status()).status.conditions}
        if conditions.get("NetworkReady"):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("containerd's network did not become ready")


@pytest.fixture
async def containerd_process(tmp_path: Path, registry: str, pause_image: str):
    """A containerd of the test's own, its network configured for its pod CIDR (as the
    kubelet would); every sandbox it made is removed afterwards."""
    if containerd.missing():
        pytest.fail("containerd is missing; run ./scripts/install-deps or apt-get install containerd")
    ctd = containerd.ContainerdProcess(
        tmp_path / "containerd",
        index=next(_counter) + (os.getpid() % 7) * 20,
        registry=registry,
        sandbox_image=pause_image,
    )
    ctd.start()
    try:
        rt = RemoteRuntime(ctd.endpoint)
        try:
            cidr = pb.NetworkConfig(pod_cidr=ctd.pod_cidr)
            await rt.update_runtime_config(pb.RuntimeConfig(network_config=cidr))
            await _network_ready(rt)
        finally:
            await rt.close()
        yield ctd
        await _remove_all_sandboxes(ctd.endpoint)
    finally:
        ctd.cleanup()


@dataclass
class CRIRuntime:
    """The CRI runtime under a test: its endpoint, its CRI name (`containerID`s start with
    `<name>://`), a pod CIDR and a cgroup (for pods' cgroup parents) of the test's own."""

    name: str
    endpoint: str
    pod_cidr: str
    cgroup_parent: str


def _pod_cidr(rt: RuntimeProcess) -> str:
    """The upper half of the runtime's own subnet: unique to this test, and not the range
    its CNI configuration starts with, so pod IPs show the runtime followed the kubelet."""
    return str(list(ipaddress.ip_network(rt.subnet).subnets())[1])


@pytest.fixture
def cri_runtime(request: pytest.FixtureRequest) -> CRIRuntime:
    """kubelite's runtime or containerd, as pytest_generate_tests parametrized the test."""
    if request.param == "kubelite":
        rt: RuntimeProcess = request.getfixturevalue("runtime_process")
        return CRIRuntime("kubelite", f"unix://{rt.socket}", _pod_cidr(rt), rt.cgroup_parent)
    ctd: containerd.ContainerdProcess = request.getfixturevalue("containerd_process")
    return CRIRuntime("containerd", ctd.endpoint, ctd.pod_cidr, ctd.cgroup_parent)


@pytest.fixture
async def cri(cri_runtime: CRIRuntime):
    client = RemoteRuntime(cri_runtime.endpoint)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def image(cri, registry):
    """busybox:latest, pulled into the test's runtime."""
    ref = f"{registry}/busybox:latest"
    await cri.pull_image(pb.ImageSpec(image=ref))
    return ref
