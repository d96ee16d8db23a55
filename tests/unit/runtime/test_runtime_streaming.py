"""The streaming server's parts without containers: one-time tokens, the status messages,
and both stream protocols (WebSocket channels, SPDY streams) against an in-process session
and an in-process port (loopback only)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.cri import portforward_spdy as pf_spdy
from kubelite.cri import remotecommand as rc
from kubelite.cri import remotecommand_spdy as rc_spdy
from kubelite.httpstream.upgrade import UpgradeFailed
from kubelite.runtime.streaming.http_server import StreamingOptions, StreamingServer
from kubelite.runtime.streaming.tokens import RequestCache, TooManyRequests
from kubelite.util.clock import FakeClock
from kubelite.util.testing import wait_for_async


async def test_a_token_is_good_once_and_only_until_it_expires():
    clock = FakeClock()
    cache: RequestCache[str] = RequestCache(ttl=60, max_in_flight=2, clock=clock)
    first = cache.insert("exec 1")
    assert cache.consume(first) == "exec 1"
    assert cache.consume(first) is None
    second = cache.insert("exec 2")
    cache.insert("exec 3")
    with pytest.raises(TooManyRequests):
        cache.insert("exec 4")
    await clock.advance(61)
    assert cache.consume(second) is None and len(cache) == 0
    assert cache.consume("never-issued") is None


def test_exit_codes_travel_as_kubernetes_status_objects():
    assert rc.exit_status(0) == {"metadata": {}, "status": "Success"}
    failed = rc.exit_status(3)
    assert failed["reason"] == "NonZeroExitCode"
    assert failed["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]
    assert [rc.exit_code_of(s) for s in (rc.exit_status(0), failed, rc.error_status("boom"))] == [0, 3, None]


class EchoSession:
    """Upper-cases stdin to stdout until stdin closes, then exits with the line count."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        self.lines = 0
        self.sizes: list[tuple[int, int]] = []
        self.closed = False

    async def write_stdin(self, data: bytes) -> None:
        self.lines += data.count(b"\n")
        await self.queue.put((rc.STDOUT, data.upper()))

    async def close_stdin(self) -> None:
        await self.queue.put((rc.STDERR, b"eof\n"))
        await self.queue.put(None)

    async def resize(self, width: int, height: int) -> None:
        self.sizes.append((width, height))

    async def read(self) -> tuple[int, bytes] | None:
        return await self.queue.get()

    async def status(self) -> rc.Status:
        return rc.exit_status(self.lines)

    async def close(self) -> None:
        self.closed = True


class Backend:
    def __init__(self) -> None:
        self.sessions: list[EchoSession] = []

    async def open_exec(self, request: pb.ExecRequest, width: int, height: int) -> EchoSession:
        self.sessions.append(EchoSession())
        return self.sessions[-1]

    async def open_attach(self, request: pb.AttachRequest) -> EchoSession:
        return await self.open_exec(pb.ExecRequest(), 0, 0)

    def pod_netns(self, pod_sandbox_id: str) -> None:
        return None  # the host's network: the tests' port listens on 127.0.0.1


@pytest.fixture
async def server():
    backend = Backend()
    srv = StreamingServer(StreamingOptions(), backend)
    await srv.start()
    yield srv, backend
    await srv.stop()


async def test_a_v5_session_relays_stdin_resizes_and_ends_with_the_exit_status(server):
    srv, backend = server
    url = srv.get_exec(pb.ExecRequest(container_id="c", cmd=["x"], stdin=True, stdout=True))
    assert url.startswith(srv.base_url + "/exec/")
    async with rc.RemoteCommand(url) as session:
        assert session.protocol == rc.V5
        await session.resize(120, 40)
        await session.write_stdin(b"one\ntwo\n")
        await session.close_stdin()
        result = await session.wait()
    assert (result.stdout, result.stderr, result.exit_code) == (b"ONE\nTWO\n", b"eof\n", 2)
    assert backend.sessions[0].sizes == [(120, 40)]


async def test_a_client_that_leaves_early_closes_the_session(server):
    srv, backend = server
    url = srv.get_attach(pb.AttachRequest(container_id="c", stdin=True, stdout=True))
    async with rc.RemoteCommand(url, protocols=(rc.V4,)) as session:
        assert session.protocol == rc.V4
        await session.write_stdin(b"hi\n")
        assert await session.read() == (rc.STDOUT, b"HI\n")
    await wait_for_async(lambda: backend.sessions[0].closed, "the session to close", interval=0.01)


async def test_unknown_tokens_and_bad_ports_are_refused_before_the_upgrade(server):
    srv, _ = server
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{srv.base_url}/exec/not-a-token") as resp:
            assert resp.status == 404
        url = srv.get_port_forward(pb.PortForwardRequest(pod_sandbox_id="p"))
        async with http.get(f"{url}?port=http") as resp:
            assert resp.status == 400
        exec_url = srv.get_exec(pb.ExecRequest(container_id="c", cmd=["x"], stdout=True))
        async with http.get(exec_url.replace("/exec/", "/portforward/")) as resp:
            assert resp.status == 404  # a token opens only the kind of session it was made for


async def test_a_spdy_session_relays_stdin_with_half_close_and_ends_with_the_exit_status(server):
    srv, backend = server
    url = srv.get_exec(pb.ExecRequest(container_id="c", cmd=["x"], stdin=True, stdout=True, stderr=True))
    options = rc_spdy.StreamOptions(stdin=True, stdout=True, stderr=True)
    result = await rc_spdy.run(url, options, b"one\ntwo\nthree\n")
    assert (result.stdout, result.stderr, result.exit_code) == (b"ONE\nTWO\nTHREE\n", b"eof\n", 3)
    assert result.status["reason"] == "NonZeroExitCode"


async def test_a_spdy_session_on_a_terminal_takes_resizes_on_its_resize_stream(server):
    srv, backend = server
    url = srv.get_exec(pb.ExecRequest(container_id="c", cmd=["x"], stdin=True, stdout=True, tty=True))
    options = rc_spdy.StreamOptions(stdin=True, stdout=True, tty=True)
    async with rc_spdy.SpdyRemoteCommand(url, options) as session:
        assert session.protocol == rc_spdy.V5
        await session.resize(100, 30)
        await session.resize(132, 43)
        await session.write_stdin(b"x\n")
        assert await session.read() == (rc.STDOUT, b"X\n")  # the resizes arrived before it
        await session.close_stdin()
        result = await session.wait()
    assert result.exit_code == 1 and backend.sessions[0].sizes == [(100, 30), (132, 43)]


async def test_old_spdy_protocols_report_only_failures_as_text(server):
    srv, _ = server
    url = srv.get_exec(pb.ExecRequest(container_id="c", cmd=["x"], stdin=True, stdout=True))
    options = rc_spdy.StreamOptions(stdin=True, stdout=True)
    result = await rc_spdy.run(url, options, b"a\n", protocols=(rc_spdy.V2,))
    assert result.stdout == b"A\n" and result.exit_code is None
    assert "non-zero exit code" in result.status["message"]


async def test_a_spdy_upgrade_without_a_common_protocol_is_refused_with_both_lists(server):
    srv, _ = server
    url = srv.get_exec(pb.ExecRequest(container_id="c", cmd=["x"], stdout=True))
    with pytest.raises(UpgradeFailed) as err:
        await rc_spdy.run(url, rc_spdy.StreamOptions(), protocols=("v9.channel.k8s.io",))
    response = err.value.response
    assert response.status == 403
    assert b"client supports [v9.channel.k8s.io], server accepts [v5.channel.k8s.io" in response.body
    assert response.header_values("X-Accepted-Stream-Protocol-Versions")[0] == "v5.channel.k8s.io"


async def test_spdy_port_forward_pairs_streams_per_request_and_half_closes(server):
    srv, _ = server

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read()  # until the client half-closes
        writer.write(b"got " + data)
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    url = srv.get_port_forward(pb.PortForwardRequest(pod_sandbox_id="p"))
    async with pf_spdy.SpdyPortForward(url) as forward:
        first, second = await forward.open(port), await forward.open(port)
        for n, upstream in enumerate((first, second)):
            await upstream.write(f"connection {n}".encode())
            await upstream.write_eof()
        assert await _read_all(second) == b"got connection 1"
        assert await _read_all(first) == b"got connection 0"
        assert await first.error() == ""
        closed = await forward.open(1)  # nothing listens there
        assert await _read_all(closed) == b""
        assert (await closed.error()).startswith("error forwarding port 1 to pod p, uid : ")
    listener.close()


async def _read_all(upstream: pf_spdy.SpdyUpstream) -> bytes:
    out = b""
    while chunk := await upstream.read():
        out += chunk
    return out
