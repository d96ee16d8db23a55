"""`kubelite up --node-ip`: the local node's InternalIP, where its kubelet listens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kubelite.server.up import UpOptions, prepare


def _up(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kubelite", "up", "--data-dir", str(tmp_path / "data"), *flags]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def test_the_kubelet_listens_on_the_node_ip_and_reports_it(tmp_path: Path) -> None:
    options = UpOptions(
        data_dir=tmp_path, node_ip="127.0.0.2", container_runtime_endpoint="unix:///run/cri.sock", dns=False
    )
    (kubelet,) = [c for c in prepare(options) if c.name == "kubelet"]
    argv = list(kubelet.argv)
    assert argv[argv.index("--address") + 1] == "127.0.0.2"
    assert argv[argv.index("--node-ip") + 1] == "127.0.0.2"


def test_a_node_ip_that_is_not_this_machines_or_beside_extra_nodes_is_refused(tmp_path: Path) -> None:
    foreign = _up(tmp_path, "--node-ip", "192.0.2.77")
    assert foreign.returncode != 0
    assert "kubelite up: --node-ip 192.0.2.77: not an address of this machine" in foreign.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was made
    bad = _up(tmp_path, "--node-ip", "not-an-ip")
    assert bad.returncode != 0 and "kubelite up: --node-ip not-an-ip:" in bad.stderr
    both = _up(tmp_path, "--node-ip", "127.0.0.1", "--nodes", "2")
    assert both.returncode != 0 and "--node-ip is for a single node" in both.stderr
