"""`kubelite up`: one command for a cluster that supervises its components and keeps its state,
and brings a local node (runtime + kubelet) that runs pods."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kubelite.server import localnode
from kubelite.server.testing import free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from runtime.conftest import busybox_layout, registry  # noqa: E402,F401  (the local registry)
from runtime.containerd import unmount_under  # noqa: E402


def _kubectl(kubeconfig: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(kubeconfig.parent))
    r = subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=30)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def _wait_ready(kubeconfig: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if kubeconfig.exists():
            if _kubectl(kubeconfig, "get", "--raw", "/readyz", check=False).returncode == 0:
                return
        time.sleep(0.2)
    raise AssertionError("cluster did not become ready")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _up(data: Path, port: int, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "kubelite", "up", "--data-dir", str(data),
                             "--port", str(port), *flags], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_up_restarts_a_crashed_component_and_resumes_after_a_stop(tmp_path: Path):
    data, port = tmp_path / "data", free_port()
    kubeconfig = data / "kubeconfig"
    up = _up(data, port, "--no-local-node")
    try:
        _wait_ready(kubeconfig)
        _kubectl(kubeconfig, "create", "configmap", "survivor", "--from-literal=a=b")
        (apiserver,) = _children(up.pid)
        os.kill(apiserver, signal.SIGKILL)
        _wait_ready(kubeconfig)
        assert _children(up.pid) != [apiserver]
        assert _kubectl(kubeconfig, "get", "cm", "survivor", "-o", "name").stdout.strip() == \
            "configmap/survivor"
    finally:
        up.send_signal(signal.SIGTERM)
        out, _ = up.communicate(timeout=30)
    assert up.returncode == 0
    assert "apiserver exited with code -9; restarting it" in out

    again = _up(data, port, "--no-local-node")  # same directory: same CA, same state
    try:
        _wait_ready(kubeconfig)
        assert _kubectl(kubeconfig, "get", "cm", "survivor", "-o", "jsonpath={.data.a}").stdout == "b"
    finally:
        again.send_signal(signal.SIGTERM)
        again.communicate(timeout=30)


def _wait_for(fn, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if last := fn():
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(bool(localnode.missing()), reason="the local node needs root, runc and CNI plugins")
def test_up_brings_a_ready_local_node_that_runs_a_pod(tmp_path: Path, registry: str):  # noqa: F811
    data, port = tmp_path / "data", free_port()
    kubeconfig = data / "kubeconfig"
    bridge_existed = Path(f"/sys/class/net/{localnode_bridge()}").exists()
    up = _up(data, port)
    try:
        _wait_ready(kubeconfig)
        node = localnode.node_name()

        def node_ready():
            r = _kubectl(kubeconfig, "get", "node", node, "-o", "json", check=False)
            conds = {c["type"]: c["status"] for c in json.loads(r.stdout)["status"]["conditions"]} \
                if r.returncode == 0 else {}
            return conds.get("Ready") == "True"
        _wait_for(node_ready, "the local node to be Ready")
        # No scheduler yet: the pod names its node.
        _kubectl(kubeconfig, "run", "hello", f"--image={registry}/busybox:latest", "--restart=Never",
                 "--image-pull-policy=IfNotPresent", f'--overrides={{"spec":{{"nodeName":"{node}"}}}}',
                 "--", "sh", "-c", "echo hello from kubelite")

        def succeeded():
            return _kubectl(kubeconfig, "get", "pod", "hello", "-o", "jsonpath={.status.phase}",
                            check=False).stdout == "Succeeded"
        try:
            _wait_for(succeeded, "the pod to succeed", timeout=90)
        except AssertionError:
            raise AssertionError(_kubectl(kubeconfig, "get", "pod", "hello", "-o", "yaml").stdout) from None
        (log,) = (data / "pods").glob("default_hello_*/hello/*.log")  # kubectl logs: not served yet
        assert "hello from kubelite" in log.read_text()
        _kubectl(kubeconfig, "delete", "pod", "hello", "--grace-period=1", "--wait=false")
        _wait_for(lambda: _kubectl(kubeconfig, "get", "pod", "hello", check=False).returncode != 0,
                  "the pod to be deleted")
    finally:
        up.send_signal(signal.SIGTERM)
        out, _ = up.communicate(timeout=30)
        if not bridge_existed:
            subprocess.run(["ip", "link", "del", localnode_bridge()], capture_output=True)
        unmount_under(data)
    assert up.returncode == 0, out
    assert (data / "kubelet.kubeconfig").exists() and (data / "net.d").is_dir()


def localnode_bridge() -> str:
    from kubelite.runtime.cni import DEFAULT_BRIDGE
    return DEFAULT_BRIDGE
