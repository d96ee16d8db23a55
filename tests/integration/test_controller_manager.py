"""`kubelite controller-manager` against a real API server: it serves health and metrics,
runs the controllers it was asked for, and reports its workqueues and API requests."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

from kubelite.util.net import free_port
from kubelite.util.process import stop_process
from kubelite.util.testing import wait_for


def _get(port: int, path: str) -> tuple[int, str]:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}{path}", context=ctx, timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
    except OSError:
        return 0, ""


def test_it_runs_the_chosen_controllers_and_serves_health_and_metrics(fresh_cluster, tmp_path):
    port = free_port()
    log = open(tmp_path / "kcm.log", "wb")
    kcm = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubelite",
            "controller-manager",
            "--kubeconfig",
            str(fresh_cluster.kubeconfig),
            "--secure-port",
            str(port),
            "--controllers",
            "replicaset,-deployment",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: _get(port, "/readyz")[0] == 200, "/readyz", interval=0.2)
        assert _get(port, "/healthz") == (200, "ok")
        fresh_cluster.kubectl("create", "deployment", "web", "--image=nginx", "--replicas=2")
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": "solo"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "solo"}},
                "template": {
                    "metadata": {"labels": {"app": "solo"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            },
        }
        fresh_cluster.kubectl("create", "-f", "-", input=json.dumps(rs))

        def solo_pods() -> int:
            out = fresh_cluster.kubectl("get", "pods", "-l", "app=solo", "-o", "json").stdout
            return len(json.loads(out)["items"])

        wait_for(lambda: solo_pods() == 2, "the ReplicaSet's pods", interval=0.5)
        # The deployment controller is not running: its Deployment has no ReplicaSet.
        assert "web-" not in fresh_cluster.kubectl("get", "rs", "-o", "name").stdout
        _, metrics = _get(port, "/metrics")
        assert 'workqueue_adds_total{name="replicaset"}' in metrics
        assert 'workqueue_depth{name="replicaset"}' in metrics
        assert 'leader_election_master_status{name="kube-controller-manager"} 1.0' in metrics
        posts = [
            line
            for line in metrics.splitlines()
            if line.startswith("rest_client_requests_total") and 'method="POST"' in line
        ]
        assert any('code="201"' in line for line in posts), posts
        lease = json.loads(
            fresh_cluster.kubectl(
                "get", "lease", "kube-controller-manager", "-n", "kube-system", "-o", "json"
            ).stdout
        )
        assert lease["spec"]["leaseDurationSeconds"] == 15
    finally:
        stop_process(kcm)
    assert kcm.returncode == 0, (tmp_path / "kcm.log").read_text()


def test_an_unknown_controller_name_is_refused_with_kubernetes_message(fresh_cluster):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubelite",
            "controller-manager",
            "--kubeconfig",
            str(fresh_cluster.kubeconfig),
            "--controllers",
            "*,-replicasets",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    assert 'kubelite controller-manager: "replicasets" is not in the list of known controllers' in r.stderr


def test_a_taken_port_is_one_line_and_exit_code_1_not_a_traceback(fresh_cluster):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = [sys.executable, "-m", "kubelite", "controller-manager"]
        argv += ["--kubeconfig", str(fresh_cluster.kubeconfig), "--secure-port", str(port)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert f"failed to listen on 127.0.0.1:{port}: bind: address already in use" in r.stderr
    assert "Traceback" not in r.stderr
