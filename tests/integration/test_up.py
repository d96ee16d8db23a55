"""`kubelite up`: one command for a cluster that supervises its components and keeps its state,
and brings a local node (runtime + kubelet) that runs pods."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kubelite.runtime.testing import unmount_under
from kubelite.server import localnode
from kubelite.util.net import free_port
from kubelite.util.testing import wait_for

KUBECTL_POLL = 0.5  # seconds between two reads with kubectl (each read starts a process)


def _kubectl(kubeconfig: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(kubeconfig.parent))
    r = subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=30)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def _wait_ready(kubeconfig: Path, timeout: float = 30) -> None:
    def ready() -> bool:
        return (
            kubeconfig.exists()
            and _kubectl(kubeconfig, "get", "--raw", "/readyz", check=False).returncode == 0
        )

    wait_for(ready, "the cluster to be ready", timeout=timeout, interval=0.2)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _up(data: Path, port: int, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kubelite", "up", "--data-dir", str(data), "--port", str(port), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_up_restarts_a_crashed_component_and_resumes_after_a_stop(tmp_path: Path):
    data, port = tmp_path / "data", free_port()
    kubeconfig = data / "kubeconfig"
    up = _up(data, port, "--no-local-node")
    try:
        _wait_ready(kubeconfig)
        _kubectl(kubeconfig, "create", "configmap", "survivor", "--from-literal=a=b")
        (apiserver,) = [p for p, cmd in _descendants(up.pid).items() if " apiserver " in cmd]
        os.kill(apiserver, signal.SIGKILL)
        _wait_ready(kubeconfig)
        assert apiserver not in _children(up.pid)
        assert (
            _kubectl(kubeconfig, "get", "cm", "survivor", "-o", "name").stdout.strip() == "configmap/survivor"
        )
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


def test_up_runs_the_scheduler_which_places_pods_on_the_simulated_nodes(tmp_path: Path):
    data, port = tmp_path / "data", free_port()
    kubeconfig = data / "kubeconfig"
    up = _up(data, port, "--no-local-node", "--simulated-nodes", "2")
    try:
        _wait_ready(kubeconfig)
        wait_for(
            lambda: any(" scheduler --kubeconfig " in cmd for cmd in _descendants(up.pid).values()),
            "up to start the scheduler",
        )
        _kubectl(kubeconfig, "run", "placed", "--image=busybox", "--restart=Never")
        node = wait_for(
            lambda: _kubectl(kubeconfig, "get", "pod", "placed", "-o", "jsonpath={.spec.nodeName}").stdout,
            "the pod to be scheduled",
            timeout=60,
            interval=KUBECTL_POLL,
        )
        assert node.startswith("sim-node-")
        events = _kubectl(
            kubeconfig, "get", "events", "--field-selector", "reason=Scheduled", "-o", "json"
        ).stdout
        messages = [e["message"] for e in json.loads(events)["items"]]
        assert f"Successfully assigned default/placed to {node}" in messages
    finally:
        up.send_signal(signal.SIGTERM)
        out, _ = up.communicate(timeout=30)
    assert up.returncode == 0, out
    assert (data / "scheduler.kubeconfig").exists()


def test_up_runs_the_controller_manager_which_makes_a_deployments_pods(tmp_path: Path):
    data, port = tmp_path / "data", free_port()
    kubeconfig = data / "kubeconfig"
    up = _up(data, port, "--no-local-node", "--no-scheduler")
    try:
        _wait_ready(kubeconfig)
        wait_for(
            lambda: any(" controller-manager --kubeconfig " in cmd for cmd in _descendants(up.pid).values()),
            "up to start the controller manager",
        )
        _kubectl(kubeconfig, "create", "deployment", "web", "--image=busybox", "--replicas=2")

        def pods() -> int:
            out = _kubectl(kubeconfig, "get", "pods", "-l", "app=web", "-o", "json").stdout
            return len(json.loads(out)["items"])

        wait_for(lambda: pods() == 2, "the deployment's pods", timeout=60, interval=KUBECTL_POLL)
        lease = _kubectl(
            kubeconfig, "get", "lease", "-n", "kube-system", "kube-controller-manager", "-o", "json"
        )
        assert json.loads(lease.stdout)["spec"]["holderIdentity"]
    finally:
        up.send_signal(signal.SIGTERM)
        out, _ = up.communicate(timeout=30)
    assert up.returncode == 0, out
    assert (data / "controller-manager.kubeconfig").exists()


@pytest.mark.skipif(bool(localnode.missing()), reason="the local node needs root, runc and CNI plugins")
def test_up_brings_a_ready_local_node_that_runs_a_pod(tmp_path: Path, registry: str):
    data, port = tmp_path / "data", free_port()
    kubeconfig = data / "kubeconfig"
    bridge_existed = Path(f"/sys/class/net/{localnode_bridge()}").exists()
    up = _up(data, port)
    try:
        _wait_ready(kubeconfig)
        node = localnode.node_name()

        def node_ready():
            r = _kubectl(kubeconfig, "get", "node", node, "-o", "json", check=False)
            conds = (
                {c["type"]: c["status"] for c in json.loads(r.stdout)["status"]["conditions"]}
                if r.returncode == 0
                else {}
            )
            return conds.get("Ready") == "True"

        wait_for(node_ready, "the local node to be Ready", timeout=60, interval=KUBECTL_POLL)
        # The controller manager's node IPAM gives the node a pod CIDR; the kubelet hands it to
        # the runtime, whose CNI configuration then allocates from it.
        pod_cidr = wait_for(
            lambda: _kubectl(kubeconfig, "get", "node", node, "-o", "jsonpath={.spec.podCIDR}").stdout,
            "the node's pod CIDR",
            timeout=30,
            interval=KUBECTL_POLL,
        )
        assert ipaddress.ip_network(pod_cidr).subnet_of(ipaddress.ip_network("10.244.0.0/16"))
        wait_for(
            lambda: any(pod_cidr in f.read_text() for f in (data / "net.d").glob("*.conf*")),
            "the runtime's network to use the pod CIDR",
            timeout=30,
            interval=KUBECTL_POLL,
        )
        # The scheduler `up` runs places the pod on the node.
        _kubectl(
            kubeconfig,
            "run",
            "hello",
            f"--image={registry}/busybox:latest",
            "--restart=Never",
            "--image-pull-policy=IfNotPresent",
            "--",
            "sh",
            "-c",
            "echo hello from kubelite",
        )

        def succeeded():
            return (
                _kubectl(
                    kubeconfig, "get", "pod", "hello", "-o", "jsonpath={.status.phase}", check=False
                ).stdout
                == "Succeeded"
            )

        try:
            wait_for(succeeded, "the pod to succeed", timeout=90, interval=KUBECTL_POLL)
        except AssertionError:
            raise AssertionError(_kubectl(kubeconfig, "get", "pod", "hello", "-o", "yaml").stdout) from None
        assert _kubectl(kubeconfig, "get", "pod", "hello", "-o", "jsonpath={.spec.nodeName}").stdout == node
        pod_ip = _kubectl(kubeconfig, "get", "pod", "hello", "-o", "jsonpath={.status.podIP}").stdout
        assert ipaddress.ip_address(pod_ip) in ipaddress.ip_network(pod_cidr)
        (log,) = (data / "pods").glob("default_hello_*/hello/*.log")  # kubectl logs: not served yet
        assert "hello from kubelite" in log.read_text()
        _kubectl(kubeconfig, "delete", "pod", "hello", "--grace-period=1", "--wait=false")
        wait_for(
            lambda: _deleted(kubeconfig, "hello"), "the pod to be deleted", timeout=60, interval=KUBECTL_POLL
        )
    finally:
        up.send_signal(signal.SIGTERM)
        out, _ = up.communicate(timeout=30)
        if not bridge_existed:
            subprocess.run(["ip", "link", "del", localnode_bridge()], capture_output=True)
        unmount_under(data)
    assert up.returncode == 0, out
    assert (data / "kubelet.kubeconfig").exists() and (data / "net.d").is_dir()


def _deleted(kubeconfig: Path, pod: str) -> bool:
    """The pod is not found (any other error fails the test)."""
    return _kubectl(kubeconfig, "get", "pod", pod, "--ignore-not-found", "-o", "name").stdout == ""


def localnode_bridge() -> str:
    from kubelite.runtime.cni import DEFAULT_BRIDGE

    return DEFAULT_BRIDGE


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie waiting for a reaper."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _descendants(pid: int) -> dict[int, str]:
    """Every process below `pid`, with its command line."""
    found, todo = {}, [pid]
    while todo:
        for child in _children(todo.pop()):
            with contextlib.suppress(OSError):
                found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                todo.append(child)
    return found


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(bool(localnode.missing()), reason="the local node needs root, runc and CNI plugins")
def test_a_killed_up_takes_its_components_with_it_and_the_next_up_adopts_the_running_container(
    tmp_path: Path, registry: str
):
    data, port = tmp_path / "data", free_port()
    kubeconfig = data / "kubeconfig"
    bridge_existed = Path(f"/sys/class/net/{localnode_bridge()}").exists()
    node = localnode.node_name()
    up = _up(data, port)
    again = None
    try:
        _wait_ready(kubeconfig)

        def default_service_account() -> bool:  # pods are refused until it exists, as in Kubernetes
            return _kubectl(kubeconfig, "get", "serviceaccount", "default", check=False).returncode == 0

        wait_for(default_service_account, "the default ServiceAccount", timeout=60, interval=0.3)
        _kubectl(kubeconfig, "create", "configmap", "survivor", "--from-literal=a=b")
        _kubectl(
            kubeconfig,
            "run",
            "sleeper",
            f"--image={registry}/busybox:latest",
            "--image-pull-policy=IfNotPresent",
            f'--overrides={{"spec":{{"nodeName":"{node}"}}}}',
            "--",
            "sleep",
            "987654",
        )

        def container() -> tuple[str, str] | None:
            r = _kubectl(
                kubeconfig,
                "get",
                "pod",
                "sleeper",
                "-o",
                "jsonpath={.status.containerStatuses[0].containerID} "
                "{.status.containerStatuses[0].state.running.startedAt}",
                check=False,
            )
            cid, _, started = r.stdout.partition(" ")
            return (cid, started) if started else None

        before = wait_for(container, "the pod's container to run", timeout=90, interval=KUBECTL_POLL)
        (sleep_pid,) = [
            int(p)
            for p in subprocess.run(
                ["pgrep", "-f", "sleep 987654"], capture_output=True, text=True
            ).stdout.split()
        ]
        components = _descendants(up.pid)
        assert any(" apiserver " in c for c in components.values())
        assert any(" kubelet " in c for c in components.values())
        assert any(" runtime " in c for c in components.values())

        os.kill(up.pid, signal.SIGKILL)
        up.wait(timeout=5)
        wait_for(lambda: not any(_alive(p) for p in components), "every component to exit", timeout=15)
        assert not _answers(port), "something still answers on the killed cluster's port"
        assert _alive(sleep_pid), "the container must outlive its node's processes"

        again = _up(data, port)
        _wait_ready(kubeconfig)
        assert _kubectl(kubeconfig, "get", "cm", "survivor", "-o", "jsonpath={.data.a}").stdout == "b"

        def same_container_reported() -> bool:
            r = _kubectl(
                kubeconfig,
                "get",
                "node",
                node,
                "-o",
                "jsonpath={.status.conditions[?(@.type=='Ready')].status}",
                check=False,
            )
            return r.stdout == "True" and container() == before

        wait_for(
            same_container_reported,
            "the node to be Ready again with the same container",
            timeout=60,
            interval=KUBECTL_POLL,
        )
        assert (
            _kubectl(
                kubeconfig,
                "get",
                "pod",
                "sleeper",
                "-o",
                "jsonpath={.status.containerStatuses[0].restartCount}",
            ).stdout
            == "0"
        )
        assert _alive(sleep_pid)
        _kubectl(kubeconfig, "delete", "pod", "sleeper", "--grace-period=1")
        assert not _alive(sleep_pid)
    finally:
        for p in (up, again):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.communicate(timeout=30)
        subprocess.run(["pkill", "-KILL", "-f", "sleep 987654"], capture_output=True)
        if not bridge_existed:
            subprocess.run(["ip", "link", "del", localnode_bridge()], capture_output=True)
        unmount_under(data)
