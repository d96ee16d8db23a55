"""Exec and attach over SPDY/3.1: the server side a runtime offers, and the client side the
API server uses to reach a kubelet.

The client asks for an upgrade (`Upgrade: SPDY/3.1`, one `X-Stream-Protocol-Version` per
protocol it speaks) and, once answered 101 with the chosen version, opens one SPDY stream
per part of the session, each named by its `streamtype` header, in this order:

```
error   server → client: how the session ended (v4/v5: a metav1.Status as JSON; v1-v3: the
        error's text, nothing on success)
stdin   client → server; the client's FIN is stdin's EOF (unlike WebSocket v4, SPDY always
        had a half-close)
stdout  server → client
stderr  server → client (not with a terminal: a terminal has one output)
resize  client → server, a stream of JSON objects {"Width": w, "Height": h} (v3 and later,
        with a terminal)
```

The server waits for exactly the streams the session needs (30 s at most, as the kubelet's
streaming server), runs the session, writes the status, half-closes its streams and ends the
connection once the client has read them. `v5.channel.k8s.io` is `v4.channel.k8s.io` over
SPDY: its close signal exists only for WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

from kubelite.cri import remotecommand as rc
from kubelite.httpstream import upgrade
from kubelite.httpstream.spdy import SpdyConnection, SpdyStream

log = logging.getLogger("kubelite.cri.remotecommand")

V5, V4, V3, V2, V1 = rc.V5, rc.V4, "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"
PROTOCOLS = (V5, V4, V3, V2, V1)  # what both ends speak, most preferred first
STREAM_CREATION_TIMEOUT = 30.0
LINGER = 5.0  # how long the server waits for the client to hang up after the status

ERROR, STDIN, STDOUT, STDERR, RESIZE = "error", "stdin", "stdout", "stderr", "resize"


@dataclass(slots=True, frozen=True)
class StreamOptions:
    """Which parts a session has (the kubelet's `input`/`output`/`error`/`tty` parameters)."""

    stdin: bool = False
    stdout: bool = True
    stderr: bool = False
    tty: bool = False

    def stream_types(self, protocol: str) -> list[str]:
        """The streams a client opens, in client-go's order."""
        types = [ERROR]
        types += [STDIN] if self.stdin else []
        types += [STDOUT] if self.stdout else []
        types += [STDERR] if self.stderr and not self.tty else []
        types += [RESIZE] if self.tty and protocol in (V5, V4, V3) else []
        return types


def _status_bytes(protocol: str, status: rc.Status) -> bytes:
    if protocol in (V5, V4):
        return json.dumps(status).encode()
    if status.get("status") == "Success":
        return b""
    return str(status.get("message", "")).encode()


def _status_from(protocol: str, raw: bytes) -> rc.Status:
    if protocol in (V5, V4):
        try:
            status = json.loads(raw) if raw.strip() else None
        except ValueError:
            status = None
        return status if isinstance(status, dict) else rc.error_status(f"error stream: {raw[:200]!r}")
    if not raw:
        return rc.success_status()
    return rc.error_status(raw.decode(errors="replace"))


# ---- server side


async def _wait_for_streams(conn: SpdyConnection, wanted: list[str], timeout: float) -> dict[str, SpdyStream]:
    streams: dict[str, SpdyStream] = {}

    async def collect() -> None:
        while len(streams) < len(wanted):
            stream = await conn.accept()
            if stream is None:
                raise ConnectionResetError("the client hung up before opening its streams")
            kind = stream.header("streamtype")
            if kind in wanted:
                streams[kind] = stream
            else:
                log.info("unexpected stream type %r", kind)
                await stream.cancel()

    await asyncio.wait_for(collect(), timeout)
    return streams


async def _pump_stdin(stream: SpdyStream, session: rc.Session) -> None:
    while data := await stream.read():
        await session.write_stdin(data)
    await session.close_stdin()


async def _pump_resize(stream: SpdyStream, session: rc.Session) -> None:
    decoder, buffer = json.JSONDecoder(), ""
    while data := await stream.read():
        buffer += data.decode(errors="replace")
        while buffer.strip():
            try:
                size, end = decoder.raw_decode(buffer.lstrip())
            except ValueError:
                break  # an object cut in two: wait for the rest
            buffer = buffer.lstrip()[end:]
            with contextlib.suppress(KeyError, TypeError, ValueError):
                await session.resize(int(size["Width"]), int(size["Height"]))


async def serve_spdy(
    conn: SpdyConnection,
    protocol: str,
    options: StreamOptions,
    session: rc.Session,
    *,
    creation_timeout: float = STREAM_CREATION_TIMEOUT,
) -> None:
    """Run `session` for the client of `conn` (a server connection, reading already)."""
    try:
        streams = await _wait_for_streams(conn, options.stream_types(protocol), creation_timeout)
    except (TimeoutError, ConnectionResetError) as err:
        log.info("exec streams not opened: %s", err or "timed out waiting for client to create streams")
        await session.close()
        await conn.close()
        return
    pumps = []
    if STDIN in streams:
        if protocol == V1:  # v1 clients never sent stdin: the kubelet closes it at once
            await session.close_stdin()
        else:
            pumps.append(asyncio.create_task(_pump_stdin(streams[STDIN], session)))
    if RESIZE in streams:
        pumps.append(asyncio.create_task(_pump_resize(streams[RESIZE], session)))
    try:
        if not await _relay_output(conn, streams, session):
            return
        await streams[ERROR].write(_status_bytes(protocol, await session.status()))
        for stream in streams.values():
            await stream.close()
        await conn.close(linger=LINGER)
    except ConnectionError:
        await session.close()
    finally:
        for t in pumps:
            t.cancel()
        await conn.close()


async def _relay_output(conn: SpdyConnection, streams: dict[str, SpdyStream], session: rc.Session) -> bool:
    """Session output to the client until it ends (True) or the client hangs up (False)."""
    gone = asyncio.create_task(conn.closed.wait())
    try:
        while True:
            out = asyncio.create_task(session.read())
            await asyncio.wait({out, gone}, return_when=asyncio.FIRST_COMPLETED)
            if not out.done():
                out.cancel()
                await session.close()
                return False
            item = out.result()
            if item is None:
                return True
            target = streams.get(STDOUT if item[0] == rc.STDOUT else STDERR)
            if target is not None:
                await target.write(item[1])
    finally:
        gone.cancel()


# ---- client side


class SpdyRemoteCommand:
    """An exec/attach session on a SPDY streaming URL (a kubelet's or a runtime's), usable as
    a `remotecommand.Session`: `async with SpdyRemoteCommand(url, options) as session`."""

    def __init__(
        self,
        url: str,
        options: StreamOptions,
        *,
        ssl_context: ssl.SSLContext | None = None,
        headers: Iterable[tuple[str, str]] = (),
        protocols: tuple[str, ...] = PROTOCOLS,
    ) -> None:
        self.url = url
        self.options = options
        self._ssl = ssl_context
        self._headers = list(headers)
        self._protocols = protocols
        self.protocol = ""
        self.conn: SpdyConnection | None = None
        self._streams: dict[str, SpdyStream] = {}
        self._output: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue(maxsize=64)
        self._tasks: list[asyncio.Task[None]] = []
        self._error: asyncio.Task[bytes] | None = None

    async def __aenter__(self) -> SpdyRemoteCommand:
        wanted = [("Connection", "Upgrade"), ("Upgrade", upgrade.SPDY_31)]
        wanted += [(upgrade.PROTOCOL_HEADER, p) for p in self._protocols]
        response, transport = await upgrade.dial(self.url, [*wanted, *self._headers], ssl_context=self._ssl)
        self.protocol = response.header(upgrade.PROTOCOL_HEADER) or V1
        self.conn = await SpdyConnection(transport, server=False).__aenter__()
        try:
            for kind in self.options.stream_types(self.protocol):
                self._streams[kind] = await self.conn.create_stream({"streamtype": [kind]})
        except BaseException:
            await self.conn.close()
            raise
        self._error = asyncio.create_task(self._streams[ERROR].read_all())
        outputs = [(rc.STDOUT, STDOUT), (rc.STDERR, STDERR)]
        self._tasks = [
            asyncio.create_task(self._pump(ch, self._streams[k])) for ch, k in outputs if k in self._streams
        ]
        if not self._tasks:
            self._output.put_nowait(None)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _pump(self, channel: int, stream: SpdyStream) -> None:
        while data := await stream.read():
            await self._output.put((channel, data))
        self._tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        if not self._tasks:
            await self._output.put(None)

    async def write_stdin(self, data: bytes) -> None:
        stream = self._streams.get(STDIN)
        if stream is not None and data:
            with contextlib.suppress(ConnectionError):
                await stream.write(data)

    async def close_stdin(self) -> None:
        stream = self._streams.get(STDIN)
        if stream is not None:
            await stream.close()

    async def resize(self, width: int, height: int) -> None:
        stream = self._streams.get(RESIZE)
        if stream is not None:
            with contextlib.suppress(ConnectionError):
                await stream.write(json.dumps({"Width": width, "Height": height}).encode())

    async def read(self) -> tuple[int, bytes] | None:
        return await self._output.get()

    async def status(self) -> rc.Status:
        assert self._error is not None
        return _status_from(self.protocol, await self._error)

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        if self._error is not None:
            self._error.cancel()
        if self.conn is not None:
            await self.conn.close()

    async def wait(self) -> rc.ExecResult:
        """Read to the end: the output collected and the exit code (for tests and tools)."""
        out, err = bytearray(), bytearray()
        while (item := await self.read()) is not None:
            (out if item[0] == rc.STDOUT else err).extend(item[1])
        status = await self.status()
        return rc.ExecResult(rc.exit_code_of(status), bytes(out), bytes(err), status)


async def run(
    url: str,
    options: StreamOptions,
    stdin: bytes | None = None,
    *,
    ssl_context: ssl.SSLContext | None = None,
    protocols: tuple[str, ...] = PROTOCOLS,
) -> rc.ExecResult:
    """Run the session at `url` to its end over SPDY: send `stdin` (then EOF), collect output."""
    async with SpdyRemoteCommand(url, options, ssl_context=ssl_context, protocols=protocols) as session:
        feeding = None
        if stdin is not None:

            async def feed() -> None:
                await session.write_stdin(stdin)
                await session.close_stdin()

            feeding = asyncio.create_task(feed())  # beside the reading: a big stdin must not block output
        try:
            return await session.wait()
        finally:
            if feeding is not None:
                feeding.cancel()
