"""One `kubelite up` cluster (its local node on the test's own kubelite runtime, `--no-proxy`)
for the module, and `kubelite proxy` started by the test per mode with the command line
`up` would give it (server/localnode.py proxy_argv): switching modes restarts only the
proxy. The node's InternalIP is a private address of the test's own (`up --node-ip`).
Rules are removed after each proxy (`kubelite proxy --cleanup`). A test marked
`proxy_modes(...)` checks what only those modes do and is collected for them alone."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubelite.runtime.testing import missing_tools
from kubelite.server import localnode
from kubelite.server.testing import UpCluster, cleanup_proxy_rules, up_on_test_runtime
from kubelite.util.net import free_port
from kubelite.util.process import exit_with_parent, stop_process
from kubelite.util.testing import wait_for


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the runs of a `proxy_modes` test in the modes it does not check."""
    other: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("proxy_modes")
        callspec = getattr(item, "callspec", None)
        mode = callspec.params.get("proxy") if callspec is not None else None
        if marker is not None and mode is not None and mode not in marker.args:
            other.append(item)
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if item not in other]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, registry: str, pause_image: str) -> Iterator[UpCluster]:
    if os.geteuid() != 0:
        pytest.fail("the proxy e2e tests must run as root (runc, iptables, network namespaces)")
    if missing := missing_tools():
        pytest.fail(f"missing tools: {' '.join(missing)}")
    work = tmp_path_factory.mktemp("up-proxy")
    with (
        node_address() as ip,
        up_on_test_runtime("kubelite", work, registry, pause_image, up_args=(f"--node-ip={ip}",)) as up,
    ):
        yield up


@contextmanager
def node_address() -> Iterator[str]:
    """A private address of this machine's, on an interface of the test's own (a bridge
    without ports: this kernel has no dummy links): the node's InternalIP (`up --node-ip`),
    where its kubelet listens and its pods reach it."""
    pid = os.getpid()
    link, ip = f"kl-nip{pid % 100000}", f"172.30.{pid % 250}.{1 + pid // 250 % 250}"
    subprocess.run(["ip", "link", "add", link, "type", "bridge"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", f"{ip}/32", "dev", link], check=True)
        subprocess.run(["ip", "link", "set", link, "up"], check=True)
        yield ip
    finally:
        subprocess.run(["ip", "link", "del", link], check=False)


@dataclass
class Proxy:
    mode: str
    process: subprocess.Popen[bytes]
    healthz_port: int
    metrics_port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def metric(self, name: str) -> float:
        """A sample of the proxy's /metrics (0 when absent)."""
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return 0.0

    def synced(self) -> bool:
        """Every change the proxy has queued is in its rules."""
        last = self.metric("kubeproxy_sync_proxy_rules_last_timestamp_seconds")
        return last >= self.metric("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds") > 0


def start_proxy(cluster: UpCluster, mode: str, *extra: str) -> Iterator[Proxy]:
    """`kubelite proxy --proxy-mode MODE` for the cluster's node, until the generator closes."""
    healthz, metrics = free_port(), free_port()
    flags = [
        "--proxy-mode",
        mode,
        "--cluster-cidr",
        cluster.pod_cidr,
        "--iptables-min-sync-period",
        "0.1s",
        *extra,
    ]
    argv = localnode.proxy_argv(
        cluster.kubeconfig, localnode.node_name(), "127.0.0.1", healthz, metrics, flags
    )
    log_path = cluster.data_dir.parent / f"proxy-{mode}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, preexec_fn=exit_with_parent())
    proxy = Proxy(mode, process, healthz, metrics, log_path)
    try:
        wait_for(lambda: _healthy(proxy), f"the {mode} proxy's /healthz", timeout=30, interval=0.2)
        yield proxy
    finally:
        stop_process(process, 10)
        cleanup_proxy_rules()


def _healthy(proxy: Proxy) -> bool:
    import urllib.request

    if proxy.process.poll() is not None:
        raise AssertionError(f"kubelite proxy exited:\n{proxy.log()}")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{proxy.healthz_port}/healthz", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module", params=["iptables", "nftables", "userspace"])
def proxy(request: pytest.FixtureRequest, cluster: UpCluster) -> Iterator[Proxy]:
    """The proxy in each mode in turn (pytest runs every test of one mode, then the next)."""
    yield from start_proxy(cluster, request.param)
