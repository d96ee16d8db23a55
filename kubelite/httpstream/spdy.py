"""A SPDY/3.1 connection and its streams, over any byte stream, as client-go and the kubelet
use them.

```
client                                         server
  create_stream({streamtype: error}) ─SYN_STREAM 1─►  accept() → stream 1 (SYN_REPLY sent)
  stream 1 ready                   ◄─SYN_REPLY 1──
  stream.write(b"...")             ─DATA 1───────►  stream.read()
  stream.close()  (half-close)     ─DATA 1 FIN───►  stream.read() == b""
  stream.read()                    ◄─DATA 1──────   stream.write(status)
  connection.close()               ─GOAWAY───────►  every stream reads b""; the connection ends
```

- Stream ids: odd from the client, even from the server; pings the same (a ping with the
  other side's parity is echoed).
- One reader task (`run()`, owned by whoever owns the connection) turns frames into stream
  events; writes are frames composed whole, in order, through one codec.
- Flow control: none, as moby/spdystream (Kubernetes' implementation) has none - it neither
  sends WINDOW_UPDATE nor waits for one. Received data waits in a small queue per stream
  until read; a full queue pauses the reader, which pushes back on the peer through TCP.
- Ending: `close()` sends GOAWAY; with `linger` it then waits (bounded) for the peer to close
  the byte stream, so that the peer has read everything sent before (Go's spdystream drops
  frames still queued when its connection ends).
- A RST_STREAM, a GOAWAY, or the byte stream ending ends every affected stream: reads return
  b"", writes raise ConnectionResetError.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator

from kubelite.httpstream import spdyframes as f
from kubelite.httpstream.transport import ByteStream

log = logging.getLogger("kubelite.httpstream.spdy")

MAX_DATA_FRAME = 32 * 1024
QUEUE_CHUNKS = 64  # received data frames held per stream before the reader waits
REPLY_TIMEOUT = 30.0  # client-go waits 30 s for a stream's SYN_REPLY


class SpdyStream:
    def __init__(self, conn: SpdyConnection, stream_id: int, headers: f.Headers) -> None:
        self.conn = conn
        self.id = stream_id
        self.headers = headers
        self.replied = asyncio.Event()
        self.reset = False
        self._chunks: deque[bytes] = deque()
        self._readable = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._remote_done = False  # the peer sent FIN or RST, or the connection ended
        self._local_done = False  # we sent FIN or RST

    def header(self, name: str, default: str = "") -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else default

    async def read(self) -> bytes:
        """The next data from the peer; b"" after its FIN, a reset or the connection's end."""
        while not self._chunks:
            if self._remote_done:
                return b""
            self._readable.clear()
            await self._readable.wait()
        self._room.set()
        return self._chunks.popleft()

    async def read_all(self) -> bytes:
        out = bytearray()
        while chunk := await self.read():
            out += chunk
        return bytes(out)

    async def write(self, data: bytes) -> None:
        if self._local_done or self.reset:
            raise ConnectionResetError(f"stream {self.id} is closed for writing")
        view = memoryview(data)
        for start in range(0, len(view), MAX_DATA_FRAME):
            await self.conn.send(f.Data(self.id, bytes(view[start : start + MAX_DATA_FRAME])))

    async def close(self) -> None:
        """Half-close: the peer reads the end of this stream; it may still write to us."""
        if not self._local_done and not self.reset:
            self._local_done = True
            with contextlib.suppress(ConnectionError):
                await self.conn.send(f.Data(self.id, b"", fin=True))
            self.conn.forget_if_done(self)

    async def cancel(self) -> None:
        """RST_STREAM: both directions end at once."""
        if not self.reset:
            with contextlib.suppress(ConnectionError):
                await self.conn.send(f.RstStream(self.id, f.CANCEL))
            self.end_remote(reset=True)

    # ---- driven by the connection's reader
    async def deliver(self, data: bytes) -> None:
        while len(self._chunks) >= QUEUE_CHUNKS and not self._remote_done:
            self._room.clear()
            await self._room.wait()
        if data and not self._remote_done:
            self._chunks.append(data)
            self._readable.set()

    def end_remote(self, *, reset: bool = False) -> None:
        if reset:
            self.reset = True
            self._local_done = True
            self.replied.set()
        self._remote_done = True
        self._readable.set()
        self._room.set()
        self.conn.forget_if_done(self)

    @property
    def done(self) -> bool:
        return self._remote_done and self._local_done


class SpdyConnection:
    """Use as `async with SpdyConnection(stream, server=...) as conn`: the frame reader runs
    while the block does; leaving it sends GOAWAY and closes the byte stream."""

    def __init__(self, transport: ByteStream, *, server: bool) -> None:
        self.transport = transport
        self.server = server
        self._codec = f.FrameCodec()
        self._write_lock = asyncio.Lock()
        self._streams: dict[int, SpdyStream] = {}
        self._next_id = 2 if server else 1
        self._last_received = 0
        self._incoming: asyncio.Queue[SpdyStream | None] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.gone_away = False

    async def __aenter__(self) -> SpdyConnection:
        self._reader = asyncio.create_task(self._read_loop(), name="spdy-reader")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- writing
    async def send(self, frame: f.Frame) -> None:
        if self.closed.is_set():
            raise ConnectionResetError("the SPDY connection is closed")
        async with self._write_lock:  # encode and write in one order: the zlib state is shared
            await self.transport.write(self._codec.encode(frame))

    async def create_stream(self, headers: f.Headers, *, timeout: float = REPLY_TIMEOUT) -> SpdyStream:
        """Open a stream and wait for the peer's SYN_REPLY (client-go's CreateStream)."""
        stream = SpdyStream(self, self._next_id, headers)
        self._next_id += 2
        self._streams[stream.id] = stream
        await self.send(f.SynStream(stream.id, headers))
        await asyncio.wait_for(stream.replied.wait(), timeout)
        if stream.reset:
            raise ConnectionResetError(f"the peer refused stream {stream.id} ({headers})")
        return stream

    async def accept(self) -> SpdyStream | None:
        """The next stream the peer opened (already replied to); None once it opens no more."""
        return await self._incoming.get()

    async def incoming(self) -> AsyncIterator[SpdyStream]:
        while (stream := await self.accept()) is not None:
            yield stream

    async def close(self, *, linger: float = 0.0) -> None:
        """GOAWAY, then (after at most `linger` seconds for the peer to hang up) close the
        byte stream; every stream ends."""
        if not self.closed.is_set():
            with contextlib.suppress(ConnectionError, OSError):
                await self.send(f.GoAway(self._last_received))
            if linger > 0 and self._reader is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._reader), linger)
        self._finish()
        if self._reader is not None and self._reader is not asyncio.current_task():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self.transport.close()

    def forget_if_done(self, stream: SpdyStream) -> None:
        if stream.done:
            self._streams.pop(stream.id, None)

    def _finish(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for stream in list(self._streams.values()):
            stream.end_remote()
            stream.replied.set()
        self._incoming.put_nowait(None)

    # ---- reading
    async def _read_loop(self) -> None:
        try:
            while data := await self.transport.read():
                for frame in self._codec.feed(data):
                    await self._handle(frame)
        except f.SpdyProtocolError as err:
            log.info("closing a SPDY connection: %s", err)
            with contextlib.suppress(ConnectionError, OSError):
                await self.send(f.GoAway(self._last_received, f.GOAWAY_PROTOCOL_ERROR))
        except ConnectionError:
            pass
        finally:
            self._finish()

    async def _handle(self, frame: f.Frame) -> None:  # noqa: C901 - one case per frame type
        if isinstance(frame, f.Data):
            stream = self._streams.get(frame.stream_id)
            if stream is not None:
                await stream.deliver(frame.data)
                if frame.fin:
                    stream.end_remote()
        elif isinstance(frame, f.SynStream):
            await self._on_syn_stream(frame)
        elif isinstance(frame, f.SynReply | f.HeadersFrame):
            stream = self._streams.get(frame.stream_id)
            if stream is not None:
                stream.replied.set()
                if frame.fin:
                    stream.end_remote()
        elif isinstance(frame, f.RstStream):
            stream = self._streams.get(frame.stream_id)
            if stream is not None:
                stream.end_remote(reset=True)
        elif isinstance(frame, f.Ping):
            if frame.ping_id % 2 != self._next_id % 2:  # the peer's ping: echo it
                await self.send(frame)
        elif isinstance(frame, f.GoAway):
            self.gone_away = True
            self._finish()
        # SETTINGS and WINDOW_UPDATE: no flow control (see the module docstring)

    async def _on_syn_stream(self, frame: f.SynStream) -> None:
        if (
            self.gone_away
            or frame.stream_id % 2 == self._next_id % 2
            or frame.stream_id <= self._last_received
        ):
            await self.send(f.RstStream(frame.stream_id, f.PROTOCOL_ERROR))
            return
        self._last_received = frame.stream_id
        stream = SpdyStream(self, frame.stream_id, frame.headers)
        stream.replied.set()
        self._streams[stream.id] = stream
        await self.send(f.SynReply(stream.id, {}))
        if frame.fin:
            stream.end_remote()
        self._incoming.put_nowait(stream)
