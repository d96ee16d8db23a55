"""Port-forward over SPDY/3.1 (`portforward.k8s.io`): the server side a runtime offers, and
the client side the API server uses to reach a kubelet.

One SPDY connection carries every forwarded connection of one `kubectl port-forward`. For
each local connection the client opens two streams with the same `requestid`:

```
error   {streamtype: error, port: 80, requestid: 7}   server → client: why the port could not
        be reached (the client closes its side at once)
data    {streamtype: data,  port: 80, requestid: 7}   the TCP bytes, both ways; a FIN from
        either side is a half-close of the TCP connection
```

The server pairs the streams by `requestid` (clients that send none pair as the kubelet
does: the error stream's id, the data stream's id minus 2), waits 30 s at most for the
second of a pair, connects to the port (`Dial`) and copies both ways; once one direction has
ended the other gets a second to finish (as containerd does), then both streams are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from kubelite.cri.portforward import Dial, Upstream, forwarding_error
from kubelite.httpstream import upgrade
from kubelite.httpstream.spdy import SpdyConnection, SpdyStream

log = logging.getLogger("kubelite.cri.portforward")

PROTOCOL = "portforward.k8s.io"
STREAM_CREATION_TIMEOUT = 30.0
LAST_DIRECTION_GRACE = 1.0  # after one direction ended, how long the other may go on


# ---- server side


@dataclass(slots=True)
class _Pair:
    error: SpdyStream | None = None
    data: SpdyStream | None = None

    @property
    def complete(self) -> bool:
        return self.error is not None and self.data is not None


def _request_id(stream: SpdyStream) -> str:
    rid = stream.header("requestid")
    if rid:
        return rid
    return str(stream.id if stream.header("streamtype") == "error" else stream.id - 2)


def _valid(stream: SpdyStream) -> bool:
    port = stream.header("port")
    return port.isdigit() and 0 < int(port) < 65536 and stream.header("streamtype") in ("error", "data")


async def serve_spdy(
    conn: SpdyConnection,
    dial: Dial,
    *,
    pod: str = "",
    uid: str = "",
    creation_timeout: float = STREAM_CREATION_TIMEOUT,
) -> None:
    """Serve every forwarded connection the client of `conn` opens, until it hangs up; then
    every connection still open ends too."""
    pairs: dict[str, _Pair] = {}
    tasks: set[asyncio.Task[None]] = set()

    def spawn(coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    try:
        async for stream in conn.incoming():
            kind = stream.header("streamtype")
            if not _valid(stream):
                await stream.cancel()
                continue
            rid = _request_id(stream)
            pair = pairs.get(rid)
            if pair is None:
                pair = pairs[rid] = _Pair()
                spawn(_expire(pairs, rid, creation_timeout))
            if getattr(pair, kind) is not None:
                await stream.cancel()  # a second stream of one kind for one request
                continue
            setattr(pair, kind, stream)
            if pair.complete:
                del pairs[rid]
                spawn(_forward(pair, dial, pod, uid))
    finally:
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await conn.close()


async def _expire(pairs: dict[str, _Pair], rid: str, timeout: float) -> None:
    await asyncio.sleep(timeout)
    pair = pairs.pop(rid, None)
    if pair is not None and pair.error is not None:
        with contextlib.suppress(ConnectionError):
            await pair.error.write(f"timed out waiting for streams of request {rid}".encode())
            await pair.error.close()


async def _forward(pair: _Pair, dial: Dial, pod: str, uid: str) -> None:
    assert pair.data is not None and pair.error is not None
    data, error = pair.data, pair.error
    port = int(data.header("port"))
    try:
        upstream = await dial(port)
    except OSError as err:
        with contextlib.suppress(ConnectionError):
            await error.write(forwarding_error(port, pod, uid, err).encode())
        await error.close()
        await data.close()
        return
    directions = [
        asyncio.create_task(_client_to_port(data, upstream)),
        asyncio.create_task(_port_to_client(upstream, data)),
    ]
    try:
        _, pending = await asyncio.wait(directions, return_when=asyncio.FIRST_COMPLETED)
        if pending:
            await asyncio.wait(pending, timeout=LAST_DIRECTION_GRACE)
    finally:
        for task in directions:
            task.cancel()
        await asyncio.gather(*directions, return_exceptions=True)
        await upstream.close()
        await error.close()
        await data.close()


async def _client_to_port(data: SpdyStream, upstream: Upstream) -> None:
    with contextlib.suppress(ConnectionError):
        while chunk := await data.read():
            await upstream.write(chunk)
        await upstream.write_eof()


async def _port_to_client(upstream: Upstream, data: SpdyStream) -> None:
    with contextlib.suppress(ConnectionError):
        while chunk := await upstream.read():
            await data.write(chunk)
        await data.close()


# ---- client side


class SpdyUpstream:
    """One forwarded connection through a SPDY port-forward (an `Upstream`)."""

    def __init__(self, data: SpdyStream, error: SpdyStream) -> None:
        self._data = data
        self._error = asyncio.create_task(error.read_all())

    async def read(self) -> bytes:
        return await self._data.read()

    async def write(self, data: bytes) -> None:
        await self._data.write(data)

    async def write_eof(self) -> None:
        await self._data.close()

    async def error(self) -> str:
        return (await self._error).decode(errors="replace")

    async def close(self) -> None:
        await self._data.cancel()
        self._error.cancel()


class SpdyPortForward:
    """`async with SpdyPortForward(url) as pf: upstream = await pf.open(80)`."""

    def __init__(
        self, url: str, *, ssl_context: ssl.SSLContext | None = None, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.url = url
        self._ssl = ssl_context
        self._headers = list(headers)
        self._ids = itertools.count()
        self.conn: SpdyConnection | None = None

    async def __aenter__(self) -> SpdyPortForward:
        wanted = [
            ("Connection", "Upgrade"),
            ("Upgrade", upgrade.SPDY_31),
            (upgrade.PROTOCOL_HEADER, PROTOCOL),
        ]
        _, transport = await upgrade.dial(self.url, [*wanted, *self._headers], ssl_context=self._ssl)
        self.conn = await SpdyConnection(transport, server=False).__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.conn is not None:
            await self.conn.close()

    async def open(self, port: int) -> SpdyUpstream:
        assert self.conn is not None, "use `async with`"
        rid = str(next(self._ids))
        headers = {"port": [str(port)], "requestid": [rid]}
        error = await self.conn.create_stream({"streamtype": ["error"], **headers})
        await error.close()  # the client never writes on it (client-go closes it at once)
        data = await self.conn.create_stream({"streamtype": ["data"], **headers})
        return SpdyUpstream(data, error)
