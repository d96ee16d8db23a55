"""The kubelet's HTTPS server on loopback, over a fake runtime: who gets in, container logs,
stats, and exec/port-forward relayed to a streaming server standing behind the runtime."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import ssl
from pathlib import Path

import aiohttp
import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.cri import portforward_spdy as pf_spdy
from kubelite.cri import remotecommand as rc
from kubelite.cri import remotecommand_spdy as rc_spdy
from kubelite.httpstream.upgrade import UpgradeFailed
from kubelite.kubelet import criconfig
from kubelite.kubelet.server.server import KubeletServer, ServerOptions
from kubelite.kubelet.testing import FakeReviews, FakeRuntime
from kubelite.runtime.streaming.http_server import StreamingOptions, StreamingServer
from kubelite.util.clock import FakeClock, RealClock
from kubelite.util.pki import issue, make_ca, write_cert, write_key

NODE = "node-a"


class Pki:
    def __init__(self, d: Path) -> None:
        self.d = d
        self.ca_cert, self.ca_key = make_ca()
        write_cert(d / "ca.crt", self.ca_cert)
        self.server = self._pair("kubelet", f"system:node:{NODE}", ("system:nodes",), server=True)
        self.apiserver = self._pair("apiserver", "kube-apiserver-kubelet-client", ("system:masters",))
        self.alice = self._pair("alice", "alice", ())

    def _pair(self, name: str, cn: str, orgs: tuple[str, ...], server: bool = False) -> tuple[Path, Path]:
        cert, key = issue(
            self.ca_cert,
            self.ca_key,
            common_name=cn,
            organizations=orgs,
            hosts=("127.0.0.1",),
            server=server,
            client=not server,
        )
        write_cert(self.d / f"{name}.crt", cert)
        write_key(self.d / f"{name}.key", key)
        return self.d / f"{name}.crt", self.d / f"{name}.key"

    def client(self, who: tuple[Path, Path] | None) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.d / "ca.crt"))
        if who is not None:
            ctx.load_cert_chain(*who)
        return ctx


class Host:
    """A node's pods over a FakeRuntime: `add` runs a pod's one container there."""

    node_name = NODE

    def __init__(self, runtime: FakeRuntime, log_root: Path) -> None:
        self.runtime = runtime
        self.log_root = log_root
        self._pods: list[dict] = []

    def pods(self) -> list[dict]:
        return self._pods

    def pod_by_name(self, namespace: str, name: str) -> dict | None:
        return next((p for p in self._pods if p["metadata"]["name"] == name), None)

    async def add(self, name: str, *, tty: bool = False) -> tuple[dict, str]:
        c = {"name": "main", "image": "busybox", "tty": tty}
        pod = {
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
            "spec": {"containers": [c]},
        }
        sb = criconfig.sandbox_config(pod, 0, log_root=self.log_root)
        sid = await self.runtime.run_pod_sandbox(sb)
        cid = await self.runtime.create_container(
            sid, criconfig.container_config(pod, c, 0, image_ref="busybox"), sb
        )
        await self.runtime.start_container(cid)
        pod["status"] = {
            "phase": "Running",
            "containerStatuses": [
                {"name": "main", "containerID": f"kubelite://{cid}", "state": {"running": {}}}
            ],
        }
        self._pods.append(pod)
        Path(sb.log_directory, "main").mkdir(parents=True, exist_ok=True)
        return pod, cid

    def log_file(self, pod: dict, attempt: int = 0) -> Path:
        return Path(criconfig.log_directory(pod, self.log_root), "main", f"{attempt}.log")


class UpperSession:
    """Upper-cases stdin to stdout; exits 0 at stdin's EOF."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()

    async def write_stdin(self, data: bytes) -> None:
        await self.queue.put((rc.STDOUT, data.upper()))

    async def close_stdin(self) -> None:
        await self.queue.put(None)

    async def resize(self, width: int, height: int) -> None:
        return None

    async def read(self) -> tuple[int, bytes] | None:
        return await self.queue.get()

    async def status(self) -> rc.Status:
        return rc.exit_status(0)

    async def close(self) -> None:
        return None


class Backend:
    async def open_exec(self, request: pb.ExecRequest, width: int, height: int) -> UpperSession:
        return UpperSession()

    async def open_attach(self, request: pb.AttachRequest) -> UpperSession:
        return UpperSession()

    def pod_netns(self, pod_sandbox_id: str) -> None:
        return None


@pytest.fixture
async def node(tmp_path):
    pki = Pki(tmp_path)
    runtime = FakeRuntime(FakeClock(), images=["busybox"])
    streaming = StreamingServer(StreamingOptions(), Backend())
    await streaming.start()
    runtime.streaming = streaming
    host = Host(runtime, tmp_path / "pods")
    options = ServerOptions(
        address="127.0.0.1",
        port=0,
        tls_cert_file=pki.server[0],
        tls_private_key_file=pki.server[1],
        client_ca_file=tmp_path / "ca.crt",
    )
    reviews = FakeReviews(
        lambda spec: "system:masters" in spec["groups"], tokens={"bob-token": ("bob", ["system:masters"])}
    )
    server = KubeletServer(host, options, client=reviews, clock=RealClock())
    await server.start()
    host.reviews = reviews
    yield host, pki, f"https://127.0.0.1:{server.port}"
    await server.stop()
    await streaming.stop()


async def _get(url: str, ctx: ssl.SSLContext) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url, ssl=ctx) as resp:
        return resp.status, await resp.text()


async def test_every_request_is_authenticated_and_authorized_by_the_api_server(node):
    host, pki, base = node
    assert await _get(f"{base}/healthz", pki.client(None)) == (401, "Unauthorized")
    status, text = await _get(f"{base}/stats/summary", pki.client(pki.alice))
    assert (status, text) == (
        403,
        "Forbidden (user=alice, verb=get, resource=nodes, subresource(s)=[stats])\n",
    )
    status, text = await _get(f"{base}/pods", pki.client(pki.alice))
    assert status == 403 and "subresource(s)=[proxy]" in text
    assert await _get(f"{base}/healthz", pki.client(pki.apiserver)) == (200, "ok")
    sar = host.reviews.asked[0]
    assert sar["kind"] == "SubjectAccessReview" and sar["spec"]["user"] == "alice"
    assert sar["spec"]["resourceAttributes"] == {
        "verb": "get",
        "group": "",
        "version": "v1",
        "resource": "nodes",
        "subresource": "stats",
        "name": NODE,
    }


async def test_bearer_tokens_are_reviewed_and_answers_are_cached(node):
    host, pki, base = node
    async with aiohttp.ClientSession() as http:
        for token, want in (("bob-token", 200), ("bob-token", 200), ("forged", 401)):
            headers = {"Authorization": f"Bearer {token}"}
            async with http.get(f"{base}/healthz", ssl=pki.client(None), headers=headers) as resp:
                assert resp.status == want
    kinds = [r["kind"] for r in host.reviews.asked]
    assert kinds == ["TokenReview", "SubjectAccessReview", "TokenReview"]  # bob's second request: cached


async def test_a_review_that_fails_is_an_authorization_error_not_a_denial(node):
    host, pki, base = node
    host.reviews.unreachable = True
    status, text = await _get(f"{base}/metrics", pki.client(pki.alice))
    assert (status, text) == (
        500,
        "Authorization error (user=alice, verb=get, resource=nodes, subresource=metrics)",
    )


async def test_pods_lists_the_nodes_pods_as_a_pod_list(node):
    host, pki, base = node
    await host.add("web")
    status, text = await _get(f"{base}/pods", pki.client(pki.apiserver))
    body = json.loads(text)
    assert (
        status == 200
        and body["kind"] == "PodList"
        and [p["metadata"]["name"] for p in body["items"]] == ["web"]
    )


def _cri_lines(*entries: tuple[str, str, str, str]) -> str:
    return "".join(f"{when} {stream} {tag} {text}\n" for when, stream, tag, text in entries)


async def test_container_logs_are_read_back_with_tail_timestamps_since_and_limits(node):
    host, pki, base = node
    pod, _ = await host.add("logs")
    host.log_file(pod).write_text(
        _cri_lines(
            ("2024-01-01T00:00:01.000000001Z", "stdout", "F", "one"),
            ("2024-01-01T00:00:02.5Z", "stderr", "F", "two"),
            ("2024-01-01T00:00:03Z", "stdout", "P", "thr"),
            ("2024-01-01T00:00:03.1Z", "stdout", "F", "ee"),
            ("2024-01-01T00:00:04Z", "stdout", "F", "four"),
        )
    )
    ctx = pki.client(pki.apiserver)
    url = f"{base}/containerLogs/default/logs/main"
    assert await _get(url, ctx) == (200, "one\ntwo\nthree\nfour\n")
    assert await _get(f"{url}?tailLines=2", ctx) == (200, "ee\nfour\n")
    assert (await _get(f"{url}?timestamps=true&tailLines=1", ctx))[
        1
    ] == "2024-01-01T00:00:04.000000000Z four\n"
    _, stamped = await _get(f"{url}?timestamps=true", ctx)
    assert stamped.splitlines()[:3] == [
        "2024-01-01T00:00:01.000000000Z one",  # nine digits, as the kubelet prints them
        "2024-01-01T00:00:02.500000000Z two",
        "2024-01-01T00:00:03.000000000Z three",  # a partial line is prefixed once
    ]
    assert await _get(f"{url}?sinceTime=2024-01-01T00:00:03Z", ctx) == (200, "three\nfour\n")
    assert await _get(f"{url}?limitBytes=6", ctx) == (200, "one\ntw")


async def test_log_errors_are_the_kubelets_texts(node):
    host, pki, base = node
    pod, _ = await host.add("waiting")
    ctx = pki.client(pki.apiserver)
    pod["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "ContainerCreating"}}
    status, text = await _get(f"{base}/containerLogs/default/waiting/main", ctx)
    assert (status, text) == (400, 'container "main" in pod "waiting" is waiting to start: ContainerCreating')
    status, text = await _get(f"{base}/containerLogs/default/waiting/main?previous=true", ctx)
    assert (status, text) == (400, 'previous terminated container "main" in pod "waiting" not found')
    assert (await _get(f"{base}/containerLogs/default/nope/main", ctx))[0] == 404
    assert (await _get(f"{base}/containerLogs/default/waiting/other", ctx))[0] == 404


async def test_followed_logs_stream_as_written_and_end_when_the_container_stops(node):
    host, pki, base = node
    pod, cid = await host.add("follow")
    log = host.log_file(pod)
    log.write_text(_cri_lines(("2024-01-01T00:00:01Z", "stdout", "F", "first")))
    async with aiohttp.ClientSession() as http:
        url = f"{base}/containerLogs/default/follow/main?follow=true"
        async with http.get(url, ssl=pki.client(pki.apiserver)) as resp:
            assert await resp.content.readline() == b"first\n"
            with open(log, "a") as f:
                f.write(_cri_lines(("2024-01-01T00:00:02Z", "stdout", "F", "second")))
            assert await asyncio.wait_for(resp.content.readline(), 10) == b"second\n"
            host.runtime.kill(cid, 0, "Completed")
            assert await asyncio.wait_for(resp.content.read(), 10) == b""


async def test_stats_summary_and_resource_metrics_come_from_the_runtimes_stats(node):
    host, pki, base = node
    _, cid = await host.add("busy")
    host.runtime.cpu_ns[cid], host.runtime.memory_bytes[cid] = 5_000_000_000, 42 * 1024 * 1024
    ctx = pki.client(pki.apiserver)
    status, text = await _get(f"{base}/stats/summary", ctx)
    doc = json.loads(text)
    assert status == 200 and doc["node"]["nodeName"] == NODE and doc["node"]["memory"]["workingSetBytes"] > 0
    (pod,) = doc["pods"]
    assert pod["podRef"] == {"name": "busy", "namespace": "default", "uid": "uid-busy"}
    assert pod["containers"][0]["cpu"]["usageCoreNanoSeconds"] == 5_000_000_000
    assert pod["memory"]["workingSetBytes"] == 42 * 1024 * 1024
    _, metrics = await _get(f"{base}/metrics/resource", ctx)
    assert 'container_cpu_usage_seconds_total{container="main",namespace="default",pod="busy"} 5.0' in metrics
    assert 'pod_memory_working_set_bytes{namespace="default",pod="busy"} 4.4040192e+07' in metrics
    assert "node_cpu_usage_seconds_total " in metrics and "scrape_error 0.0" in metrics


async def test_exec_is_relayed_to_the_runtimes_streaming_server_over_spdy_and_websocket(node):
    host, pki, base = node
    await host.add("sh")
    ctx = pki.client(pki.apiserver)
    url = f"{base}/exec/default/sh/main?command=cat&input=1&output=1"
    result = await rc_spdy.run(
        url, rc_spdy.StreamOptions(stdin=True, stdout=True), b"hello\n", ssl_context=ctx
    )
    assert (result.stdout, result.exit_code) == (b"HELLO\n", 0)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
        async with rc.RemoteCommand(url.replace("https", "wss"), session=http) as session:
            await session.write_stdin(b"again\n")
            await session.close_stdin()
            assert (await session.wait()).stdout == b"AGAIN\n"
    assert [c.method for c in host.runtime.calls if c.method == "exec"] == ["exec", "exec"]


async def test_exec_into_a_container_that_does_not_run_is_refused_before_the_upgrade(node):
    host, pki, base = node
    _, cid = await host.add("stopped")
    host.runtime.kill(cid)
    url = f"{base}/exec/default/stopped/main?command=ls&output=1"
    with pytest.raises(UpgradeFailed) as err:
        await rc_spdy.run(url, rc_spdy.StreamOptions(), ssl_context=pki.client(pki.apiserver))
    assert err.value.response.status == 500 and err.value.response.body == b'container not found ("main")'
    url = f"{base}/exec/default/missing/main?command=ls&output=1"
    with pytest.raises(UpgradeFailed) as err:
        await rc_spdy.run(url, rc_spdy.StreamOptions(), ssl_context=pki.client(pki.apiserver))
    assert err.value.response.status == 404


async def test_port_forward_is_relayed_to_the_pods_port(node):
    host, pki, base = node
    await host.add("web")

    async def hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello from the pod")
        writer.close()

    listener = await asyncio.start_server(hello, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    async with pf_spdy.SpdyPortForward(
        f"{base}/portForward/default/web", ssl_context=pki.client(pki.apiserver)
    ) as pf:
        upstream = await pf.open(port)
        got = b""
        while chunk := await asyncio.wait_for(upstream.read(), 10):
            got += chunk
    assert got == b"hello from the pod"
    listener.close()


async def test_run_answers_a_commands_output(node):
    host, pki, base = node
    await host.add("run")

    async def echo(cid: str, cmd: list[str]) -> pb.ExecSyncResponse:
        return pb.ExecSyncResponse(stdout=" ".join(cmd).encode(), exit_code=0)

    host.runtime.exec_hook = echo
    async with aiohttp.ClientSession() as http:
        url = f"{base}/run/default/run/main?cmd=echo%20hi"
        async with http.post(url, ssl=pki.client(pki.apiserver)) as resp:
            assert (resp.status, await resp.read()) == (200, b"echo hi")


def test_log_timestamps_parse_with_offsets_and_print_with_nine_digits():
    from kubelite.kubelet.logs import format_timestamp, parse_timestamp

    when = parse_timestamp(b"2024-01-01T02:00:00.123456789+02:00")
    assert when == dt.datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=dt.UTC)
    assert format_timestamp(when) == "2024-01-01T00:00:00.123456000Z"
    assert parse_timestamp(b"yesterday") is None
