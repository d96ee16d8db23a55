"""`kubelite up --container-runtime-endpoint`: the local node on the real containerd instead of
kubelite's runtime, driven with the real kubectl."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from kubelite.server import localnode
from kubelite.server.testing import cleanup_proxy_rules
from kubelite.util.net import free_port
from kubelite.util.testing import wait_for

KUBECTL_POLL = 0.3  # seconds between two reads with kubectl (each read starts a process)


def _kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(kubeconfig.parent))
    return subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=30)


def test_up_runs_the_local_node_on_containerd_when_given_its_endpoint(
    tmp_path: Path, registry: str, containerd_process
):
    data, port = tmp_path / "data", free_port()
    kubeconfig = data / "kubeconfig"
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
            "--container-runtime-endpoint",
            containerd_process.endpoint,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    node = localnode.node_name()
    try:

        def node_ready() -> bool:
            r = _kubectl(kubeconfig, "get", "node", node, "-o", "json") if kubeconfig.exists() else None
            if r is None or r.returncode != 0:
                return False
            status = json.loads(r.stdout)["status"]
            conds = {c["type"]: c["status"] for c in status.get("conditions", [])}
            return conds.get("Ready") == "True" and status["nodeInfo"]["containerRuntimeVersion"].startswith(
                "containerd://"
            )

        wait_for(node_ready, "the local node to be Ready on containerd", timeout=60, interval=KUBECTL_POLL)
        # kubelite's own runtime is not started: the only runtime here is containerd.
        assert not (data / "runtime.sock").exists()
        r = _kubectl(
            kubeconfig,
            "run",
            "hello",
            f"--image={registry}/busybox:latest",
            "--restart=Never",
            "--image-pull-policy=IfNotPresent",
            f'--overrides={{"spec":{{"nodeName":"{node}"}}}}',
            "--",
            "sh",
            "-c",
            "echo hello from containerd",
        )
        assert r.returncode == 0, r.stderr

        def succeeded() -> bool:
            phase = _kubectl(kubeconfig, "get", "pod", "hello", "-o", "jsonpath={.status.phase}").stdout
            return phase == "Succeeded"

        wait_for(succeeded, "the pod to succeed", timeout=90, interval=KUBECTL_POLL)
        pod = json.loads(_kubectl(kubeconfig, "get", "pod", "hello", "-o", "json").stdout)
        assert pod["status"]["containerStatuses"][0]["containerID"].startswith("containerd://")
        (log,) = (data / "pods").glob("default_hello_*/hello/*.log")
        assert "hello from containerd" in log.read_text()
        _kubectl(kubeconfig, "delete", "pod", "hello", "--grace-period=1", "--wait=false")

        def deleted() -> bool:  # not found; any other error fails the test
            r = _kubectl(kubeconfig, "get", "pod", "hello", "--ignore-not-found", "-o", "name")
            assert r.returncode == 0, r.stderr
            return r.stdout == ""

        wait_for(deleted, "the pod to be deleted", timeout=60, interval=KUBECTL_POLL)
    finally:
        up.send_signal(signal.SIGTERM)
        out, _ = up.communicate(timeout=30)
        cleanup_proxy_rules()
    assert up.returncode == 0, out
