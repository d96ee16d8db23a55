"""The README's quickstart works as written: its commands run, line for line, against a
cluster brought up as `./scripts/up` brings it up (the test's own data directory and port,
and a local registry as the node's mirror of docker.io, since this machine has no internet)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from kubelite.runtime.testing import unmount_under
from kubelite.server import localnode
from kubelite.server.testing import cleanup_proxy_rules
from kubelite.util.net import free_port

ROOT = Path(__file__).resolve().parents[3]


def quickstart() -> str:
    """The first ```sh block under the README's "Try it" heading."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Try it\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "README.md: no ```sh block under '## Try it'"
    return match.group(1)


def test_the_quickstart_block_starts_with_the_kubeconfig_that_up_writes():
    assert quickstart().startswith("export KUBECONFIG=$PWD/.kubelite/kubeconfig\n")


def test_the_readme_quickstart_runs_as_written(tmp_path: Path, registry: str):
    assert not localnode.missing(), "the quickstart needs the local node (run as root; scripts/install-deps)"
    data, port = tmp_path / ".kubelite", free_port()
    bridge_existed = Path(f"/sys/class/net/{_bridge()}").exists()
    up = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubelite",
            "up",
            "--data-dir",
            str(data),
            "--port",
            str(port),
            f"--registry-mirror=docker.io=http://{registry}",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # What a user does between the two shells: wait until `up` has a ready node.
        env = dict(os.environ, KUBECONFIG=str(data / "kubeconfig"), HOME=str(tmp_path))
        wait = (
            "until kubectl get --raw /readyz >/dev/null 2>&1; do sleep 0.3; done; "
            "until kubectl wait --for=condition=Ready nodes --all --timeout=5s >/dev/null 2>&1; "
            "do sleep 0.3; done"
        )
        subprocess.run(["timeout", "90", "bash", "-c", wait], env=env, check=True)

        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"} | {"HOME": str(tmp_path)}
        r = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", quickstart()],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert "configmap/greeting created" in r.stdout
        assert "hellopod/hello created" in r.stdout  # the jsonpath print has no newline
        assert "pod/hello condition met" in r.stdout
        assert "Successfully assigned default/hello to" in r.stdout  # the scheduler placed it
        assert 'pod "hello" deleted' in r.stdout and 'configmap "greeting" deleted' in r.stdout
        (log,) = (data / "pods").glob("default_hello_*/hello/*.log")
        assert "hello from kubelite" in log.read_text()
    finally:
        up.send_signal(signal.SIGTERM)
        out = up.communicate(timeout=60)[0]
        cleanup_proxy_rules()
        if not bridge_existed:
            subprocess.run(["ip", "link", "del", _bridge()], capture_output=True)
        unmount_under(data)
    assert up.returncode == 0, out


def _bridge() -> str:
    from kubelite.runtime.cni import DEFAULT_BRIDGE

    return DEFAULT_BRIDGE
