"""Exec, attach and port-forward through the runtime's streaming server, against real
containers: the CRI call hands out a URL, the session runs over a WebSocket or SPDY/3.1."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.cri import portforward_spdy as pf_spdy
from kubelite.cri import remotecommand
from kubelite.cri import remotecommand_spdy as rc_spdy
from kubelite.cri.portforward import PortForwardError, PortForwardStream, serve_local
from kubelite.cri.testing import container_config, run_container, sandbox_config

# kubelite's WebSocket stream clients finish a session with containerd's streaming server on
# a terminal (exec -t); with pipes and for port-forward they do not (containerd 1.6 offers
# WebSocket exec up to v4.channel.k8s.io, where stdin cannot be half-closed; port-forward
# reads nothing back). No kubelite component speaks WebSocket to a runtime: the API server
# carries every session to the kubelet as SPDY and the kubelet relays it as it came, so
# through kubectl containerd is reached over SPDY (the SPDY tests below run on both
# runtimes; tests/e2e/streaming proves the whole path on both).
NOT_ON_CONTAINERD = pytest.mark.kubelite_only(
    "the session with containerd's streaming server hangs or reads nothing back (see above)"
)


async def _pod(cri, image, name, script, **kw):
    cfg = sandbox_config(name)
    sid = await cri.run_pod_sandbox(cfg)
    cid = await run_container(cri, sid, cfg, container_config("main", image, script, **kw))
    return sid, cid


async def _until_closed(upstream):
    while chunk := await asyncio.wait_for(upstream.read(), 10):
        yield chunk


async def _read_until(session: remotecommand.Session, needle: bytes, seen: bytearray) -> None:
    while needle not in seen:
        item = await asyncio.wait_for(session.read(), 20)
        assert item is not None, f"session ended before {needle!r}; got {bytes(seen)!r}"
        seen += item[1]


@NOT_ON_CONTAINERD
async def test_exec_pipes_stdin_in_and_returns_stdout_stderr_and_the_exit_code(cri, image):
    sid, cid = await _pod(cri, image, "exec-pipes", "exec sleep 300")
    req = pb.ExecRequest(
        container_id=cid,
        cmd=["sh", "-c", "tr a-z A-Z; echo oops >&2; exit 3"],
        stdin=True,
        stdout=True,
        stderr=True,
    )
    url = (await cri.exec(req)).url
    assert url.startswith("http://127.0.0.1:")
    result = await remotecommand.run(url, b"hello\nworld\n")
    assert (result.stdout, result.stderr, result.exit_code) == (b"HELLO\nWORLD\n", b"oops\n", 3)
    assert result.status["reason"] == "NonZeroExitCode"

    # v4 (no stdin half-close) and a command that succeeds
    url = (await cri.exec(pb.ExecRequest(container_id=cid, cmd=["hostname"], stdout=True))).url
    result = await remotecommand.run(url, protocols=(remotecommand.V4,))
    assert (result.stdout, result.exit_code, result.status["status"]) == (b"exec-pipes\n", 0, "Success")

    # a URL is good for one session only
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await remotecommand.run(url)
    assert err.value.status == 404
    await cri.remove_pod_sandbox(sid)


async def test_exec_with_a_tty_runs_on_a_terminal_that_follows_resizes(cri, image):
    sid, cid = await _pod(cri, image, "exec-tty", "exec sleep 300")
    req = pb.ExecRequest(container_id=cid, cmd=["sh"], tty=True, stdin=True, stdout=True)
    async with remotecommand.RemoteCommand((await cri.exec(req)).url) as session:
        seen = bytearray()
        await session.resize(100, 30)
        # the terminal echoes what is typed: quotes keep the echo from matching the output
        await session.write_stdin(b"tty -s && echo IS-A-'TTY'\n")
        await _read_until(session, b"IS-A-TTY\r\n", seen)
        for width, height in ((100, 30), (132, 43)):
            await session.resize(width, height)
            want = f"{height} {width}\r\n".encode()
            for _ in range(100):  # runc applies the size when its SIGWINCH arrives
                del seen[:]
                await session.write_stdin(b"stty size; echo E'ND'\n")
                await _read_until(session, b"END\r\n", seen)
                if want in seen:
                    break
            assert want in seen
        await session.write_stdin(b"exit 4\n")
        result = await session.wait()
    assert result.exit_code == 4 and result.stderr == b""
    await cri.remove_pod_sandbox(sid)


@NOT_ON_CONTAINERD
async def test_attach_relays_a_running_containers_stdin_and_stdout(cri, image):
    script = "echo ready; while read line; do echo got:$line; done; echo bye"
    sid, cid = await _pod(cri, image, "attach", script, stdin=True, stdin_once=True)
    req = pb.AttachRequest(container_id=cid, stdin=True, stdout=True, stderr=True)
    async with remotecommand.RemoteCommand((await cri.attach(req)).url) as session:
        seen = bytearray()
        await session.write_stdin(b"ping\n")
        await _read_until(session, b"got:ping\n", seen)
        await session.write_stdin(b"pong\n")
        await _read_until(session, b"got:pong\n", seen)
        await session.close_stdin()  # stdin_once: the container's stdin closes, its loop ends
        result = await session.wait()
    assert result.stdout.endswith(b"bye\n") and result.exit_code == 0
    st = (await cri.container_status(cid)).status
    assert (st.state, st.exit_code) == (pb.CONTAINER_EXITED, 0)
    await cri.remove_pod_sandbox(sid)


@NOT_ON_CONTAINERD
async def test_port_forward_reaches_a_port_inside_the_pod_network_namespace(cri, image):
    sid, _ = await _pod(cri, image, "forward", "exec nc -ll -p 7000 -e cat")
    url = (await cri.port_forward(pb.PortForwardRequest(pod_sandbox_id=sid))).url
    for _ in range(100):  # until nc listens
        try:
            async with PortForwardStream(url, 7000) as stream:
                await stream.write(b"echo me")
                assert await asyncio.wait_for(stream.read(), 10) == b"echo me"
            break
        except PortForwardError:
            url = (await cri.port_forward(pb.PortForwardRequest(pod_sandbox_id=sid))).url
            await asyncio.sleep(0.1)
    else:
        raise AssertionError("nc never listened")

    # a local listener, as kubectl port-forward offers: one stream per connection
    url = (await cri.port_forward(pb.PortForwardRequest(pod_sandbox_id=sid))).url
    server = await serve_local(url, 7000)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"through a local port\n")
    assert await asyncio.wait_for(reader.readline(), 10) == b"through a local port\n"
    writer.close()
    server.close()

    # nothing listens on the host's 7000: the connection was made in the pod
    url = (await cri.port_forward(pb.PortForwardRequest(pod_sandbox_id=sid))).url
    with pytest.raises(PortForwardError, match="7001"):
        async with PortForwardStream(url, 7001) as stream:
            await stream.read()
    await cri.remove_pod_sandbox(sid)


@pytest.mark.kubelite_only(
    "on containerd, `stty size` in the attached terminal failed once in CI "
    "('stty: standard input'): not yet understood"
)
async def test_attach_to_a_container_on_a_terminal_resizes_it(cri, image, tmp_path):
    cfg = sandbox_config("attach-tty", str(tmp_path / "logs"))
    sid = await cri.run_pod_sandbox(cfg)
    script = "tty -s && echo on-a-'tty'; while read l; do [ $l = size ] && stty size; echo got-$l; done"
    config = container_config("main", image, script, stdin=True)
    config.tty = True
    cid = await run_container(cri, sid, cfg, config)
    req = pb.AttachRequest(container_id=cid, stdin=True, stdout=True, tty=True)
    async with remotecommand.RemoteCommand((await cri.attach(req)).url) as session:
        seen = bytearray()
        await session.resize(91, 21)
        await session.write_stdin(b"size\n")
        await _read_until(session, b"got-size", seen)
        assert b"21 91\r\n" in seen  # a terminal: output lines end in CRLF
    log = (tmp_path / "logs" / "main.log").read_text()
    assert "stdout F on-a-tty" in log
    assert (await cri.container_status(cid)).status.state == pb.CONTAINER_RUNNING  # detaching leaves it be
    await cri.remove_pod_sandbox(sid)


# ---- SPDY/3.1: what a Kubernetes kubelet speaks to the runtime's streaming server; both
# runtimes (containerd's own server, kubelite's) must hold the whole session with it.


async def test_exec_over_spdy_half_closes_stdin_and_returns_stdout_stderr_and_the_exit_code(cri, image):
    sid, cid = await _pod(cri, image, "spdy-exec", "exec sleep 300")
    req = pb.ExecRequest(
        container_id=cid,
        cmd=["sh", "-c", "tr a-z A-Z; echo oops >&2; exit 3"],
        stdin=True,
        stdout=True,
        stderr=True,
    )
    url = (await cri.exec(req)).url
    options = rc_spdy.StreamOptions(stdin=True, stdout=True, stderr=True)
    result = await rc_spdy.run(url, options, b"hello\nworld\n" * 2000)
    assert (result.stdout, result.stderr, result.exit_code) == (b"HELLO\nWORLD\n" * 2000, b"oops\n", 3)
    assert result.status["reason"] == "NonZeroExitCode"
    url = (await cri.exec(pb.ExecRequest(container_id=cid, cmd=["hostname"], stdout=True))).url
    result = await rc_spdy.run(url, rc_spdy.StreamOptions())
    assert (result.stdout, result.exit_code, result.status["status"]) == (b"spdy-exec\n", 0, "Success")
    await cri.remove_pod_sandbox(sid)


async def test_exec_over_spdy_on_a_terminal_follows_resizes(cri, image):
    sid, cid = await _pod(cri, image, "spdy-tty", "exec sleep 300")
    req = pb.ExecRequest(container_id=cid, cmd=["sh"], tty=True, stdin=True, stdout=True)
    options = rc_spdy.StreamOptions(stdin=True, stdout=True, tty=True)
    async with rc_spdy.SpdyRemoteCommand((await cri.exec(req)).url, options) as session:
        seen = bytearray()
        for width, height in ((100, 30), (132, 43)):
            await session.resize(width, height)
            want = f"{height} {width}\r\n".encode()
            for _ in range(100):  # the runtime applies the size when its SIGWINCH arrives
                del seen[:]
                await session.write_stdin(b"stty size; echo E'ND'\n")
                await _read_until(session, b"END\r\n", seen)
                if want in seen:
                    break
            assert want in seen
        await session.write_stdin(b"exit 4\n")
        result = await session.wait()
    assert result.exit_code == 4
    await cri.remove_pod_sandbox(sid)


async def test_attach_over_spdy_relays_stdin_and_stdout_until_stdin_closes(cri, image):
    script = "echo ready; while read line; do echo got:$line; done; echo bye"
    sid, cid = await _pod(cri, image, "spdy-attach", script, stdin=True, stdin_once=True)
    req = pb.AttachRequest(container_id=cid, stdin=True, stdout=True, stderr=True)
    options = rc_spdy.StreamOptions(stdin=True, stdout=True, stderr=True)
    async with rc_spdy.SpdyRemoteCommand((await cri.attach(req)).url, options) as session:
        seen = bytearray()
        await session.write_stdin(b"ping\n")
        await _read_until(session, b"got:ping\n", seen)
        await session.close_stdin()  # stdin_once: the container's stdin closes, its loop ends
        result = await session.wait()
    assert (bytes(seen) + result.stdout).endswith(b"bye\n") and result.exit_code == 0
    await cri.remove_pod_sandbox(sid)


async def test_port_forward_over_spdy_reaches_a_port_inside_the_pod(cri, image):
    sid, _ = await _pod(cri, image, "spdy-forward", "exec nc -ll -p 7000 -e cat")
    url = (await cri.port_forward(pb.PortForwardRequest(pod_sandbox_id=sid))).url
    async with pf_spdy.SpdyPortForward(url) as forward:
        for _ in range(100):  # until nc listens
            upstream = await forward.open(7000)
            await upstream.write(b"echo me")
            if (got := await asyncio.wait_for(upstream.read(), 10)) == b"echo me":
                break
            assert await upstream.error(), got
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("nc never listened")
        await upstream.close()
        refused = await forward.open(7001)  # nothing listens there in the pod
        assert await asyncio.wait_for(refused.read(), 10) == b""
        error = await refused.error()  # worded as containerd words it, on both runtimes
        assert "failed to connect to localhost:7001 inside namespace " in error
        assert "IPv4: dial tcp4 127.0.0.1:7001: connect: connection refused" in error
    await cri.remove_pod_sandbox(sid)


@pytest.mark.kubelite_only(
    "containerd dials tcp6 `localhost`, which this host's /etc/hosts names for IPv4 only; "
    "kubelite's runtime dials ::1"
)
async def test_port_forward_reaches_a_server_on_the_pods_ipv6_loopback_only(cri, image):
    sid, _ = await _pod(cri, image, "forward-v6", "echo v6 > /i && exec httpd -f -p [::1]:7006 -h /")
    url = (await cri.port_forward(pb.PortForwardRequest(pod_sandbox_id=sid))).url
    async with pf_spdy.SpdyPortForward(url) as forward:
        for _ in range(100):  # until httpd listens
            upstream = await forward.open(7006)
            await upstream.write(b"GET /i HTTP/1.0\r\n\r\n")
            got = b"".join([chunk async for chunk in _until_closed(upstream)])
            if got.endswith(b"v6\n"):
                break
            assert "connect: connection refused" in await upstream.error(), got
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("httpd never listened")
    await cri.remove_pod_sandbox(sid)
