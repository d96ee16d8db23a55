"""`kubectl logs`, `exec`, `attach`, `port-forward` and `cp` on real containers of `kubelite
up`'s local node (on kubelite's runtime, then on containerd), each with the kubectl on the
PATH (WebSocket) and kubectl 1.27 (SPDY); a smoke test for every kubectl 1.27-1.33; the
refusals as Kubernetes words them; the proxy subresources; deployments and services as
targets; the Python client's `stream()` and `portforward()` too."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pexpect
import pytest

from kubelite.server.testing import UpCluster
from kubelite.util.net import free_port
from kubelite.util.testing import Lines, wait_for

from .conftest import KUBECTL_127, pod_manifest, versioned_kubectl, wait_running

TALKER = "talker"  # runs forever: exec target; its stdout is /proc/1/fd/1
HTTPD = "httpd"


@pytest.fixture(scope="module")
def pods(cluster: UpCluster, registry: str) -> UpCluster:
    """The cluster with its two long-lived pods running: TALKER and HTTPD."""
    reg = registry
    cluster.kubectl("apply", "-f", "-", input=pod_manifest(TALKER, reg, "echo started; exec sleep 100000"))
    web = (  # on 8080 for every address, and on 8081 for the pod's loopback only
        "mkdir -p /www && echo hello-from-httpd > /www/index.html && httpd -p 127.0.0.1:8081 -h /www"
        " && exec httpd -f -p 8080 -h /www"
    )
    cluster.kubectl("apply", "-f", "-", input=pod_manifest(HTTPD, reg, web, ports=[{"containerPort": 8080}]))
    for name in (TALKER, HTTPD):
        wait_running(cluster, name)
    return cluster


def _short(kubectl: str) -> str:
    return "v127" if kubectl.endswith("1.27") else "default"


def test_logs_follow_streams_each_line_as_it_is_written(pods: UpCluster, kubectl: str):
    follow = subprocess.Popen(
        [kubectl, "logs", "-f", TALKER, "--tail=1"], env=pods.env(), stdout=subprocess.PIPE, text=True
    )
    try:
        lines = Lines(follow.stdout)  # type: ignore[arg-type]
        for i in range(3):
            marker = f"{_short(kubectl)}-{i}-{uuid.uuid4().hex[:8]}"
            # written to the container's own stdout while `logs -f` is running
            pods.kubectl("exec", TALKER, "--", "sh", "-c", f"echo {marker} > /proc/1/fd/1")
            lines.wait_for(lambda line, m=marker: line == m, f"{marker} in kubectl logs -f")
        assert follow.poll() is None  # still following
    finally:
        follow.terminate()
        follow.wait(10)


def test_logs_of_the_previous_instance_after_a_restart(pods: UpCluster, kubectl: str, registry: str):
    name = f"restarts-{_short(kubectl)}"
    script = "echo started; while [ ! -f /tmp/stop ]; do sleep 0.2; done; echo stopping; exit 1"
    pods.kubectl("apply", "-f", "-", input=pod_manifest(name, registry, script))
    wait_running(pods, name)
    pods.kubectl("exec", name, "--", "sh", "-c", "echo before-restart > /proc/1/fd/1; touch /tmp/stop")

    def restarted() -> bool:
        r = pods.kubectl("get", "pod", name, "-o", "jsonpath={.status.containerStatuses[0].restartCount}")
        return r.stdout not in ("", "0")

    wait_for(restarted, f"{name} to restart", timeout=60, interval=0.3)
    previous = pods.kubectl("logs", name, "--previous", binary=kubectl).stdout
    assert previous == "started\nbefore-restart\nstopping\n"
    current = pods.kubectl("logs", name, binary=kubectl).stdout
    assert "before-restart" not in current
    pods.kubectl("delete", "pod", name, "--wait=false")


def test_logs_options_tail_timestamps_and_limit_bytes(pods: UpCluster, kubectl: str):
    assert pods.kubectl("logs", TALKER, "--limit-bytes=4", binary=kubectl).stdout == "star"
    stamped = pods.kubectl("logs", TALKER, "--timestamps", "--tail=1", binary=kubectl).stdout
    stamp, _, text = stamped.rstrip("\n").partition(" ")
    assert text and stamp.endswith("Z") and len(stamp.split(".")[1]) == 10  # nine digits and Z
    missing = pods.kubectl("logs", TALKER, "-c", "nope", binary=kubectl, check=False)
    assert missing.returncode != 0 and "container nope is not valid for pod talker" in missing.stderr
    # since: every line is stamped within the last hour; from the last line's stamp, that line
    assert pods.kubectl("logs", TALKER, "--since=1h", binary=kubectl).stdout.startswith("started\n")
    assert pods.kubectl("logs", TALKER, f"--since-time={stamp}", binary=kubectl).stdout.endswith(text + "\n")
    assert pods.kubectl("logs", TALKER, "--since-time=2999-01-01T00:00:00Z", binary=kubectl).stdout == ""
    both = f"/api/v1/namespaces/default/pods/{TALKER}/log?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z"
    bad = pods.kubectl("get", "--raw", both, check=False)
    assert bad.stderr == (
        f'The PodLogOptions "{TALKER}" is invalid: : Forbidden: '  # Kubernetes' field path is empty
        "at most one of `sinceTime` or `sinceSeconds` may be specified\n"
    )


def test_logs_of_every_container_by_label_with_prefixes(pods: UpCluster, kubectl: str, registry: str):
    name = f"two-{_short(kubectl)}"
    pod = json.loads(pod_manifest(name, registry, "echo from-a; exec sleep 100000"))
    pod["metadata"]["labels"] = {"app": name}
    b = {
        **pod["spec"]["containers"][0],
        "name": "b",
        "command": ["sh", "-c", "echo from-b; exec sleep 100000"],
    }
    init = {**b, "name": "init", "command": ["sh", "-c", "echo from-init"]}
    pod["spec"]["containers"].append(b)
    pod["spec"]["initContainers"] = [init]
    pods.kubectl("apply", "-f", "-", input=json.dumps(pod))
    wait_running(pods, name)
    r = pods.kubectl("logs", name, binary=kubectl)  # kubectl picks the first container
    assert r.stdout == "from-a\n" and 'Defaulted container "main" out of: main, b, init (init)' in r.stderr
    r = pods.kubectl("logs", "-l", f"app={name}", "--prefix", "--all-containers", binary=kubectl)
    # kubectl keeps its requests in a Go map: the containers come in any order
    assert sorted(r.stdout.splitlines()) == [
        f"[pod/{name}/b] from-b",
        f"[pod/{name}/init] from-init",
        f"[pod/{name}/main] from-a",
    ]
    raw = pods.kubectl("get", "--raw", f"/api/v1/namespaces/default/pods/{name}/log", check=False)
    assert raw.stderr == (
        "Error from server (BadRequest): a container name must be specified for pod "
        f"{name}, choose one of: [init main b]\n"
    )
    pods.kubectl("delete", "pod", name, "--wait=false")


def test_exec_with_piped_stdin_returns_output_and_the_exit_code(pods: UpCluster, kubectl: str):
    data = "".join(f"line {i}\n" for i in range(5000))
    r = pods.kubectl(
        "exec", "-i", TALKER, "--", "sh", "-c", "wc -l; exit 3", binary=kubectl, input=data, check=False
    )
    assert (r.returncode, r.stdout.strip()) == (3, "5000")
    r = pods.kubectl("exec", TALKER, "--", "sh", "-c", "echo out; echo err >&2", binary=kubectl)
    assert (r.stdout, r.stderr) == ("out\n", "err\n")


def test_exec_it_drives_an_interactive_shell_on_a_terminal_that_follows_resizes(
    pods: UpCluster, kubectl: str
):
    shell = pexpect.spawn(
        kubectl, ["exec", "-it", TALKER, "--", "sh"], env=pods.env(), timeout=30, dimensions=(24, 80)
    )
    try:
        shell.expect(r"[#$] ")
        shell.sendline("tty && stty size")
        shell.expect(r"/dev/pts/\d+\r\n24 80\r\n")
        shell.setwinsize(40, 132)
        for _ in range(50):  # the resize travels to the container's terminal on its own
            shell.sendline("stty size")
            shell.expect(r"(\d+) (\d+)\r\n")
            if shell.match.group(0) == b"40 132\r\n":
                break
        assert shell.match.group(0) == b"40 132\r\n"
        shell.sendline("exit 7")
        shell.expect(pexpect.EOF)
    finally:
        shell.close()
    assert shell.exitstatus == 7


def test_attach_relays_stdin_to_a_running_container_and_its_output_back(
    pods: UpCluster, kubectl: str, registry: str
):
    name = f"attach-{_short(kubectl)}"
    script = "echo ready; while read l; do echo got:$l; done; echo bye"
    manifest = pod_manifest(name, registry, script, stdin=True, stdinOnce=True)
    pods.kubectl("apply", "-f", "-", input=manifest)
    wait_running(pods, name)
    r = pods.kubectl("attach", "-i", name, binary=kubectl, input="one\ntwo\n")
    assert "got:one\ngot:two\nbye\n" in r.stdout
    pods.kubectl("delete", "pod", name, "--wait=false")


def test_attach_it_to_a_container_on_a_terminal_follows_resizes_and_leaving_leaves_it_running(
    pods: UpCluster, kubectl: str, registry: str
):
    name = f"attach-tty-{_short(kubectl)}"
    script = 'while read l; do [ "$l" = size ] && stty size; echo got-$l; done'
    manifest = pod_manifest(name, registry, script, stdin=True, tty=True)
    pods.kubectl("apply", "-f", "-", input=manifest)
    wait_running(pods, name)
    session = pexpect.spawn(kubectl, ["attach", "-it", name], env=pods.env(), timeout=30, dimensions=(24, 80))
    try:
        session.expect("If you don't see a command prompt, try pressing enter.")
        for rows, cols in ((24, 80), (33, 101)):
            session.setwinsize(rows, cols)
            for _ in range(50):  # the resize travels to the container's terminal on its own
                session.sendline("size")
                session.expect(r"(\d+) (\d+)\r\ngot-size\r\n")
                if session.match.group(1, 2) == (str(rows).encode(), str(cols).encode()):
                    break
            assert session.match.group(1, 2) == (str(rows).encode(), str(cols).encode())
    finally:
        session.close(force=True)  # kubectl leaves; the container is not stopped by that
    phase = pods.kubectl("get", "pod", name, "-o", "jsonpath={.status.phase}").stdout
    assert phase == "Running"
    pods.kubectl("delete", "pod", name, "--wait=false")


def test_port_forward_reaches_the_pods_httpd(pods: UpCluster, kubectl: str):
    port, v6_port = free_port(), free_port()
    forward = subprocess.Popen(
        [kubectl, "port-forward", f"pod/{HTTPD}", f"{port}:8080", f"{v6_port}:8081"],
        env=pods.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        Lines(forward.stdout).wait_for(  # type: ignore[arg-type]
            lambda line: line.startswith("Forwarding from 127.0.0.1"), "kubectl to listen"
        )
        for _ in range(3):  # one forwarded connection per request
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=20) as resp:
                assert resp.read() == b"hello-from-httpd\n"
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:  # raw bytes both ways
            sock.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
            got = b"".join(iter(lambda: sock.recv(4096), b""))
        assert got.startswith(b"HTTP/1.") and got.endswith(b"hello-from-httpd\n")
        # the second port: a server on the pod's loopback only
        with urllib.request.urlopen(f"http://127.0.0.1:{v6_port}/index.html", timeout=20) as resp:
            assert resp.read() == b"hello-from-httpd\n"
    finally:
        forward.terminate()
        forward.wait(10)


def test_port_forward_to_a_port_nothing_listens_on_reports_the_runtimes_refusal(
    pods: UpCluster, kubectl: str
):
    port = free_port()
    forward = subprocess.Popen(
        [kubectl, "port-forward", f"pod/{HTTPD}", f"{port}:9999"],
        env=pods.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = Lines(forward.stdout)  # type: ignore[arg-type]
        lines.wait_for(lambda line: line.startswith("Forwarding from 127.0.0.1"), "kubectl to listen")
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert sock.recv(4096) == b""  # kubectl closes the connection it could not forward
        error = lines.wait_for(lambda line: "error forwarding port 9999" in line, "kubectl to report")
        assert "an error occurred forwarding" in error
        assert "failed to connect to localhost:9999 inside namespace" in error
        assert "connect: connection refused" in error
    finally:
        forward.terminate()
        forward.wait(10)


def test_cp_copies_files_into_and_out_of_a_container(pods: UpCluster, kubectl: str, tmp_path: Path):
    blob = os.urandom(256 * 1024)
    (tmp_path / "blob").write_bytes(blob)
    remote = f"/tmp/blob-{_short(kubectl)}"
    pods.kubectl("cp", str(tmp_path / "blob"), f"{TALKER}:{remote}", binary=kubectl)
    assert pods.kubectl("exec", TALKER, "--", "wc", "-c", remote).stdout.split()[0] == str(len(blob))
    pods.kubectl("cp", f"{TALKER}:{remote}", str(tmp_path / "back"), binary=kubectl)
    assert (tmp_path / "back").read_bytes() == blob
    (tmp_path / "tree" / "sub").mkdir(parents=True)  # a directory, recursively
    (tmp_path / "tree" / "sub" / "leaf").write_text("deep\n")
    pods.kubectl("cp", str(tmp_path / "tree"), f"{TALKER}:{remote}-tree", binary=kubectl)
    assert pods.kubectl("exec", TALKER, "--", "cat", f"{remote}-tree/sub/leaf").stdout == "deep\n"
    pods.kubectl("cp", f"{TALKER}:{remote}-tree", str(tmp_path / "tree-back"), binary=kubectl)
    assert (tmp_path / "tree-back" / "sub" / "leaf").read_text() == "deep\n"


def test_the_python_clients_stream_execs_and_forwards(pods: UpCluster):
    from kubernetes import client, config
    from kubernetes.stream import portforward, stream

    api = client.CoreV1Api(config.new_client_from_config(str(pods.kubeconfig)))
    out = stream(
        api.connect_get_namespaced_pod_exec,
        TALKER,
        "default",
        command=["sh", "-c", "echo out"],
        stdin=False,
        stdout=True,
        stderr=True,
        tty=False,
    )
    assert out == "out\n"
    resp = stream(
        api.connect_get_namespaced_pod_exec,
        TALKER,
        "default",
        command=["sh", "-c", "read l; echo got:$l; echo err >&2"],
        stdin=True,
        stdout=True,
        stderr=True,
        tty=False,
        _preload_content=False,
    )
    resp.write_stdin("python\n")
    resp.run_forever(timeout=20)
    assert (resp.read_stdout(), resp.read_stderr(), resp.returncode) == ("got:python\n", "err\n", 0)
    forward = portforward(api.connect_get_namespaced_pod_portforward, HTTPD, "default", ports="8080")
    sock = forward.socket(8080)
    sock.setblocking(True)
    sock.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
    got = b"".join(iter(lambda: sock.recv(4096), b""))
    assert got.endswith(b"hello-from-httpd\n") and forward.error(8080) is None
    forward.close()


def test_proxy_subresources_reach_the_pod_a_service_endpoint_and_the_kubelet(pods: UpCluster):
    path = f"/api/v1/namespaces/default/pods/{HTTPD}:8080/proxy/index.html"
    assert pods.kubectl("get", "--raw", path).stdout == "hello-from-httpd\n"
    ip = pods.kubectl("get", "pod", HTTPD, "-o", "jsonpath={.status.podIP}").stdout
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    }
    endpoints = {  # no endpoints controller yet: the endpoints are written by hand
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "web"},
        "subsets": [{"addresses": [{"ip": ip}], "ports": [{"name": "http", "port": 8080}]}],
    }
    pods.kubectl(
        "apply",
        "-f",
        "-",
        input=json.dumps({"kind": "List", "apiVersion": "v1", "items": [service, endpoints]}),
    )
    try:
        path = "/api/v1/namespaces/default/services/web:http/proxy/index.html"
        assert pods.kubectl("get", "--raw", path).stdout == "hello-from-httpd\n"
    finally:
        pods.kubectl("delete", "service,endpoints", "web", check=False)
    node = pods.kubectl("get", "pod", HTTPD, "-o", "jsonpath={.spec.nodeName}").stdout
    assert pods.kubectl("get", "--raw", f"/api/v1/nodes/{node}/proxy/healthz").stdout == "ok"
    summary = json.loads(pods.kubectl("get", "--raw", f"/api/v1/nodes/{node}/proxy/stats/summary").stdout)
    assert summary["node"]["nodeName"] == node
    assert {p["podRef"]["name"] for p in summary["pods"]} >= {TALKER, HTTPD}
    missing = pods.kubectl("get", "--raw", "/api/v1/namespaces/default/pods/nope/proxy/", check=False)
    assert missing.returncode != 0 and 'pods "nope" not found' in missing.stderr


def test_refusals_are_the_api_servers_statuses_and_the_kubelets_texts(
    pods: UpCluster, kubectl: str, registry: str
):
    wrong = pods.kubectl("exec", TALKER, "-c", "nope", "--", "true", binary=kubectl, check=False)
    assert (wrong.returncode, wrong.stderr) == (
        1,
        "Error from server (BadRequest): container nope is not valid for pod talker\n",
    )
    unscheduled, unpulled = f"unscheduled-{_short(kubectl)}", f"unpulled-{_short(kubectl)}"
    pod = json.loads(pod_manifest(unscheduled, registry, "true"))
    pod["spec"]["nodeSelector"] = {"no-such": "node"}
    pods.kubectl("apply", "-f", "-", input=json.dumps(pod))
    pod = json.loads(pod_manifest(unpulled, registry, "true"))
    pod["spec"]["containers"][0]["image"] = f"{registry}/no-such-image:latest"
    pods.kubectl("apply", "-f", "-", input=json.dumps(pod))
    try:
        pending = pods.kubectl("exec", unscheduled, "--", "true", binary=kubectl, check=False)
        assert (pending.returncode, pending.stderr) == (
            1,
            f"Error from server (BadRequest): pod {unscheduled} does not have a host assigned\n",
        )
        logs = pods.kubectl("logs", unscheduled, binary=kubectl, check=False)
        assert (logs.returncode, logs.stdout) == (0, "")  # no node yet: an empty log

        def waiting() -> bool:
            r = pods.kubectl("get", "pod", unpulled, "-o", "jsonpath={.status.containerStatuses[0].state}")
            return "ImagePull" in r.stdout

        wait_for(waiting, f"{unpulled} to fail its pull", timeout=60, interval=0.3)
        nothing = pods.kubectl("exec", unpulled, "--", "true", binary=kubectl, check=False)
        # kubectl 1.27 gets the kubelet's answer to its SPDY upgrade; a WebSocket kubectl gets
        # it on the status channel of the upgraded connection the API server opened
        prefix = "" if kubectl == KUBECTL_127 else "Internal error occurred: "
        assert nothing.returncode == 1
        assert (
            nothing.stderr == f'error: {prefix}unable to upgrade connection: container not found ("main")\n'
        )
        logs = pods.kubectl("logs", unpulled, binary=kubectl, check=False)
        assert logs.returncode == 1 and logs.stderr.startswith(
            f'Error from server (BadRequest): container "main" in pod "{unpulled}" is waiting to start: '
        )
    finally:
        pods.kubectl("delete", "pod", unscheduled, unpulled, "--wait=false")


@pytest.mark.parametrize("version", ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"])
def test_every_kubectl_version_execs_with_stdin_and_port_forwards(pods: UpCluster, version: str):
    """1.27-1.29 speak SPDY; 1.30 exec over WebSocket v5; 1.31 on port-forward over a
    WebSocket tunnel too."""
    kubectl = versioned_kubectl(version)
    r = pods.kubectl(
        "exec", "-i", TALKER, "--", "sh", "-c", "cat; exit 5", binary=kubectl, input="ok\n", check=False
    )
    assert (r.returncode, r.stdout) == (5, "ok\n")
    port = free_port()
    forward = subprocess.Popen(
        [kubectl, "port-forward", f"pod/{HTTPD}", f"{port}:8080"],
        env=pods.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        Lines(forward.stdout).wait_for(  # type: ignore[arg-type]
            lambda line: line.startswith("Forwarding from 127.0.0.1"), f"kubectl {version} to listen"
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=20) as resp:
            assert resp.read() == b"hello-from-httpd\n"
    finally:
        forward.terminate()
        forward.wait(10)


@pytest.fixture(scope="module")
def deployment(pods: UpCluster, registry: str) -> str:
    """A Deployment of one busybox httpd (the controller manager makes its pod) behind a
    Service selecting it."""
    script = "mkdir -p /www && echo hello-from-deployment > /www/index.html && exec httpd -f -p 8080 -h /www"
    template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": json.loads(pod_manifest("", registry, script))["spec"],
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template},
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web-svc"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    items = {"kind": "List", "apiVersion": "v1", "items": [deployment, service]}
    pods.kubectl("apply", "-f", "-", input=json.dumps(items))
    pods.kubectl("rollout", "status", "deployment/web", "--timeout=120s", timeout=150)
    return "web"


@pytest.mark.parametrize("target", ["deployment/web", "svc/web-svc"])
def test_workloads_and_services_resolve_to_their_pod_for_logs_exec_and_port_forward(
    pods: UpCluster, deployment: str, kubectl: str, target: str
):
    if target.startswith("deployment/"):
        assert pods.kubectl("exec", target, "--", "cat", "/www/index.html", binary=kubectl).stdout == (
            "hello-from-deployment\n"
        )
        assert pods.kubectl("logs", target, binary=kubectl).stdout == ""
    port = free_port()
    remote = "80" if target.startswith("svc/") else "8080"  # a Service's port maps to its target port
    forward = subprocess.Popen(
        [kubectl, "port-forward", target, f"{port}:{remote}"],
        env=pods.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        Lines(forward.stdout).wait_for(  # type: ignore[arg-type]
            lambda line: line.startswith("Forwarding from 127.0.0.1"), "kubectl to listen"
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=20) as resp:
            assert resp.read() == b"hello-from-deployment\n"
    finally:
        forward.terminate()
        forward.wait(10)


def test_the_python_clients_stream_attaches(pods: UpCluster, registry: str):
    from kubernetes import client, config
    from kubernetes.stream import stream

    name = "py-attach"
    script = "while read l; do echo got:$l; done"
    pods.kubectl("apply", "-f", "-", input=pod_manifest(name, registry, script, stdin=True))
    wait_running(pods, name)
    api = client.CoreV1Api(config.new_client_from_config(str(pods.kubeconfig)))
    resp = stream(
        api.connect_get_namespaced_pod_attach,
        name,
        "default",
        stdin=True,
        stdout=True,
        stderr=True,
        tty=False,
        _preload_content=False,
    )
    try:
        seen = ""
        for word in ("one", "two"):
            resp.write_stdin(f"{word}\n")
            for _ in range(100):  # each update waits up to 1 s for a message
                if f"got:{word}\n" in seen:
                    break
                resp.update(timeout=1)
                assert resp.is_open(), seen
                seen += resp.read_stdout(timeout=0) or ""
        assert seen == "got:one\ngot:two\n"
    finally:
        resp.close()
    phase = pods.kubectl("get", "pod", name, "-o", "jsonpath={.status.phase}").stdout
    assert phase == "Running"  # the container outlives the session (no stdinOnce)
    pods.kubectl("delete", "pod", name, "--wait=false")


def _websocket_messages(cluster: UpCluster, path: str, protocol: str) -> list[tuple[str, bytes | str]]:
    """Every message of a WebSocket opened on the API server at `path` offering `protocol`,
    with the protocol the server chose, as a client-go or Python client would open it."""
    import asyncio
    import ssl

    import aiohttp

    pki = cluster.data_dir / "pki"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))

    async def run() -> list[tuple[str, bytes | str]]:
        url = f"wss://127.0.0.1:{cluster.port}{path}"
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(url, protocols=(protocol,), ssl=ctx) as ws,
        ):
            got: list[tuple[str, bytes | str]] = []
            async for msg in ws:
                got.append((ws.protocol or "", msg.data))
            return got

    return asyncio.run(asyncio.wait_for(run(), 60))


@pytest.mark.parametrize("protocol", ["channel.k8s.io", "base64.channel.k8s.io", "v4.channel.k8s.io"])
def test_exec_over_each_websocket_protocol_frames_output_and_status_as_kubernetes(
    pods: UpCluster, protocol: str
):
    import base64

    base = f"/api/v1/namespaces/default/pods/{TALKER}/exec?stdout=1&stderr=1&command=sh&command=-c"
    ok = _websocket_messages(pods, base + "&command=echo+remote+execution+test", protocol)
    failed = _websocket_messages(pods, base + "&command=exit+3", protocol)
    assert {p for p, _ in ok + failed} == {protocol}

    def decoded(messages: list[tuple[str, bytes | str]]) -> list[tuple[int, bytes]]:
        if protocol.startswith("base64."):  # text: the channel's digit, then base64
            texts = [m for _, m in messages if isinstance(m, str)]
            return [(ord(m[0]) - ord("0"), base64.b64decode(m[1:])) for m in texts]
        return [(m[0], bytes(m[1:])) for _, m in messages if isinstance(m, bytes)]

    ok_frames, failed_frames = decoded(ok), decoded(failed)
    assert ok_frames[0] == (1, b"")  # the opening message, on stdout
    assert b"".join(d for c, d in ok_frames if c == 1) == b"remote execution test\n"
    statuses = [d for c, d in ok_frames if c == 3]
    failure = b"".join(d for c, d in failed_frames if c == 3)
    if protocol == "v4.channel.k8s.io":  # a JSON Status either way
        assert json.loads(statuses[0])["status"] == "Success"
        assert json.loads(failure)["details"]["causes"][0] == {"reason": "ExitCode", "message": "3"}
    else:  # before v4: nothing on success, the failure's message as text (worded by the runtime)
        assert statuses == []
        assert failure.startswith(b"command terminated with non-zero exit code: error executing command")
        assert failure.endswith(b" 3")


@pytest.mark.parametrize("protocol", ["binary.k8s.io", "base64.binary.k8s.io"])
def test_logs_over_websocket_arrive_as_messages(pods: UpCluster, protocol: str):
    import base64

    messages = _websocket_messages(pods, f"/api/v1/namespaces/default/pods/{TALKER}/log", protocol)
    assert messages and {p for p, _ in messages} == {protocol}
    raw = [base64.b64decode(m) if isinstance(m, str) else m for _, m in messages]
    assert b"".join(raw).startswith(b"started\n")
