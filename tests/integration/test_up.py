"""`kubelite up`: one command for a cluster that supervises its components and keeps its state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kubelite.server.testing import free_port


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


def _up(data: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "kubelite", "up", "--data-dir", str(data),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def test_up_restarts_a_crashed_component_and_resumes_after_a_stop(tmp_path: Path):
    data, port = tmp_path / "data", free_port()
    kubeconfig = data / "kubeconfig"
    up = _up(data, port)
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

    again = _up(data, port)  # same directory: same CA, same state
    try:
        _wait_ready(kubeconfig)
        assert _kubectl(kubeconfig, "get", "cm", "survivor", "-o", "jsonpath={.data.a}").stdout == "b"
    finally:
        again.send_signal(signal.SIGTERM)
        again.communicate(timeout=30)
