"""The remotecommand stream protocol (exec and attach) over WebSocket, and its client.

A CRI `Exec` or `Attach` call answers with a URL on the runtime's streaming server; the
session itself runs over a WebSocket opened on that URL. Every message is binary and its
first byte names the channel:

```
 0 stdin    client → server          3 status   server → client, a metav1.Status JSON
 1 stdout   server → client          4 resize   client → server, {"Width": w, "Height": h}
 2 stderr   server → client (no tty) 255 close  client → server, [255, ch]: channel ch
                                                 reached EOF (v5.channel.k8s.io only)
```

The session ends with one status message, then a normal close: `{"status": "Success"}`,
or a `Failure` whose reason `NonZeroExitCode` carries the exit code as a cause `ExitCode`.
`v4.channel.k8s.io` is the same without the close channel (stdin cannot be half-closed).
The older protocols that clients may still ask for (`channel.k8s.io`, or none at all) carry
the same channels but write on the status channel only when the session failed, as plain
text; the `base64.` variants (`base64.channel.k8s.io`, `v4.base64.channel.k8s.io`) send
text messages whose first character is the channel's digit and whose rest is base64. Like
the kubelet, the server opens every session with an empty message on the lowest output
channel the client asked for, so a client knows the session is established.

Both ends live here: a `Session` is whatever runs the command (a `runc exec` in the runtime,
a SPDY session to the kubelet in the API server); `serve_websocket` runs one session for a
client over an accepted WebSocket. `RemoteCommand` is the client end, used by tests and
benchmarks: write stdin, close it, resize, read output, wait for the exit code. The same
sessions over SPDY are in `remotecommand_spdy`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
from aiohttp import web

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
V5, V4 = "v5.channel.k8s.io", "v4.channel.k8s.io"
V4_BASE64, V1, V1_BASE64 = "v4.base64.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io"
PROTOCOLS = (V5, V4)  # what kubelite's own clients offer
SERVED_PROTOCOLS = (V5, V4, V4_BASE64, V1, V1_BASE64)  # what its servers accept

NON_ZERO_EXIT = "NonZeroExitCode"
EXIT_CODE_CAUSE = "ExitCode"

Status = dict[str, Any]  # a metav1.Status as JSON

log = logging.getLogger("kubelite.cri.remotecommand")


def success_status() -> dict[str, Any]:
    return {"metadata": {}, "status": "Success"}


def exit_status(code: int) -> dict[str, Any]:
    """The status message that ends a session whose command exited with `code`."""
    if code == 0:
        return success_status()
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command, exit status {code}",
        "reason": NON_ZERO_EXIT,
        "details": {"causes": [{"reason": EXIT_CODE_CAUSE, "message": str(code)}]},
    }


def error_status(message: str) -> dict[str, Any]:
    """The status for a session that failed for another reason (no such container...)."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"Internal error occurred: {message}",
        "reason": "InternalError",
        "details": {"causes": [{"message": message}]},
        "code": 500,
    }


def exit_code_of(status: dict[str, Any]) -> int | None:
    """0 for Success, the cause's code for NonZeroExitCode, None for any other failure."""
    if status.get("status") == "Success":
        return 0
    if status.get("reason") == NON_ZERO_EXIT:
        for cause in (status.get("details") or {}).get("causes") or []:
            if cause.get("reason") == EXIT_CODE_CAUSE:
                return int(cause["message"])
    return None


def frame(channel: int, data: bytes = b"") -> bytes:
    return bytes([channel]) + data


def message_bytes(msg: aiohttp.WSMessage) -> bytes | None:
    """A data message's bytes: binary, or text (the Python client sends a str as text, its
    first character the channel, and Kubernetes takes both); None for anything else."""
    if msg.type == aiohttp.WSMsgType.BINARY:
        return bytes(msg.data)
    if msg.type == aiohttp.WSMsgType.TEXT:
        return str(msg.data).encode()
    return None


def first_output_channel(*, stdout: bool, stderr: bool) -> int:
    """The lowest channel a session writes on, given the output streams asked for."""
    return STDOUT if stdout else STDERR if stderr else ERROR


@dataclass(frozen=True, slots=True)
class Framing:
    """How one negotiated protocol puts channels into WebSocket messages."""

    base64: bool  # text messages: the channel as a digit, the data in base64
    json_status: bool  # v4 and v5: a JSON Status at the end; older: failures only, as text

    @classmethod
    def of(cls, protocol: str) -> Framing:
        return cls(base64=protocol in (V4_BASE64, V1_BASE64), json_status=protocol in (V5, V4, V4_BASE64))

    async def send(self, ws: web.WebSocketResponse, channel: int, data: bytes = b"") -> None:
        if self.base64:
            await ws.send_str(chr(ord("0") + channel) + base64.b64encode(data).decode())
        else:
            await ws.send_bytes(frame(channel, data))

    def decode(self, msg: aiohttp.WSMessage) -> bytes | None:
        """A client message as the channel byte and the payload (None: not a data message)."""
        data = message_bytes(msg)
        if not self.base64 or not data:
            return data
        try:
            return bytes([data[0] - ord("0")]) + base64.b64decode(data[1:], validate=True)
        except (binascii.Error, ValueError):
            log.info("ignoring a message that is not base64")
            return None

    async def send_status(self, ws: web.WebSocketResponse, status: Status) -> None:
        if self.json_status:
            await self.send(ws, ERROR, json.dumps(status).encode())
        elif status.get("status") != "Success":
            await self.send(ws, ERROR, str(status.get("message", "")).encode())


def resize_message(width: int, height: int) -> bytes:
    return frame(RESIZE, json.dumps({"Width": width, "Height": height}).encode())


class Session(Protocol):
    """One running exec or attach, whichever protocol its client speaks."""

    async def write_stdin(self, data: bytes) -> None:
        """Pass bytes to the command's stdin; dropped if it has none or it was closed."""
        ...

    async def close_stdin(self) -> None:
        """EOF on the command's stdin. Idempotent."""
        ...

    async def resize(self, width: int, height: int) -> None:
        """Set the terminal size; ignored without a terminal."""
        ...

    async def read(self) -> tuple[int, bytes] | None:
        """The next output as (STDOUT or STDERR, data); None once all output ended."""
        ...

    async def status(self) -> Status:
        """After the output ended: how the session ended (`exit_status`, `error_status`)."""
        ...

    async def close(self) -> None:
        """End the session early (client gone): kill or detach. Idempotent."""
        ...


async def _from_client(ws: web.WebSocketResponse, session: Session, framing: Framing) -> None:
    async for msg in ws:
        data = framing.decode(msg)
        if not data:
            continue
        channel, payload = data[0], data[1:]
        if channel == STDIN:
            await session.write_stdin(payload)
        elif channel == RESIZE:
            try:
                size = json.loads(payload)
                await session.resize(int(size["Width"]), int(size["Height"]))
            except (ValueError, KeyError, TypeError):
                log.info("ignoring a malformed resize message")
        elif channel == CLOSE and payload[:1] == bytes([STDIN]):
            await session.close_stdin()


async def serve_websocket(
    ws: web.WebSocketResponse, session: Session, *, first_channel: int = STDOUT
) -> None:
    """Run `session` for the client of `ws` (already prepared, its protocol negotiated
    among SERVED_PROTOCOLS): client messages go to the session; its output to the client;
    its status on the status channel once the output ends, then a normal close. A client
    that leaves first closes the session. `first_channel` is the lowest output channel the
    client asked for (the empty opening message goes there)."""
    framing = Framing.of(ws.ws_protocol or "")
    reader = asyncio.create_task(_from_client(ws, session, framing))
    try:
        await framing.send(ws, first_channel)
        while not reader.done():
            out = asyncio.create_task(session.read())
            await asyncio.wait({out, reader}, return_when=asyncio.FIRST_COMPLETED)
            if not out.done():  # the client left before the output ended
                out.cancel()
                await session.close()
                return
            item = out.result()
            if item is None:
                await framing.send_status(ws, await session.status())
                return
            await framing.send(ws, *item)
    except (ConnectionResetError, aiohttp.ClientConnectionResetError):
        await session.close()
    finally:
        reader.cancel()
        await ws.close()


@dataclass(slots=True)
class ExecResult:
    exit_code: int | None  # None when the session failed without a command exit
    stdout: bytes = b""
    stderr: bytes = b""
    status: dict[str, Any] = field(default_factory=dict)


class RemoteCommand:
    """One exec/attach session on a streaming URL; use as `async with RemoteCommand(url)`.

    Reading and writing may happen from different tasks. `wait()` reads to the end and
    returns the collected output and exit code; `read()` gives one (channel, bytes) at a
    time for interactive use (tty sessions, attach)."""

    def __init__(
        self,
        url: str,
        *,
        protocols: tuple[str, ...] = PROTOCOLS,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.url = url
        self._protocols = protocols
        self._own_session = session is None
        self._session = session
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.status: dict[str, Any] | None = None

    @property
    def protocol(self) -> str:
        assert self._ws is not None
        return self._ws.protocol or ""

    async def __aenter__(self) -> RemoteCommand:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            self._ws = await self._session.ws_connect(self.url, protocols=self._protocols, heartbeat=None)
        except BaseException:
            await self._close_session()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        await self._close_session()

    async def _close_session(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()

    @property
    def ws(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None:
            raise RuntimeError("the session is not open (use `async with`)")
        return self._ws

    async def write_stdin(self, data: bytes) -> None:
        if data:
            await self.ws.send_bytes(frame(STDIN, data))

    async def close_stdin(self) -> None:
        """Signal stdin EOF; v5 only (on v4 the command sees EOF only when the session ends)."""
        if self.protocol == V5:
            await self.ws.send_bytes(frame(CLOSE, bytes([STDIN])))

    async def resize(self, width: int, height: int) -> None:
        await self.ws.send_bytes(resize_message(width, height))

    async def read(self) -> tuple[int, bytes] | None:
        """The next output message as (channel, payload); None at the end of the session.
        A status message is kept in `.status` and returned like the others."""
        while True:
            msg = await self.ws.receive()
            if msg.type == aiohttp.WSMsgType.BINARY and len(msg.data) > 1:  # skips the opening message
                channel, payload = msg.data[0], bytes(msg.data[1:])
                if channel == ERROR and payload:
                    self.status = json.loads(payload)
                return channel, payload
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                return None

    async def wait(self) -> ExecResult:
        out, err = bytearray(), bytearray()
        while (item := await self.read()) is not None:
            channel, payload = item
            if channel == STDOUT:
                out += payload
            elif channel == STDERR:
                err += payload
        status = self.status or error_status("the stream ended without a status")
        return ExecResult(exit_code_of(status), bytes(out), bytes(err), status)


async def run(url: str, stdin: bytes | None = None, *, protocols: tuple[str, ...] = PROTOCOLS) -> ExecResult:
    """Run the session at `url` to its end: send `stdin` (then EOF), collect the output."""
    async with RemoteCommand(url, protocols=protocols) as rc:
        writer = None
        if stdin is not None:

            async def feed() -> None:
                await rc.write_stdin(stdin)
                await rc.close_stdin()

            writer = asyncio.create_task(feed())
        try:
            return await rc.wait()
        finally:
            if writer is not None:
                writer.cancel()
