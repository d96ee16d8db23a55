"""A userspace relay: one listener per service port, relaying to the chosen backend.

    client ──▶ Service IP:port ──(iptables REDIRECT)──▶ relay on BIND:<its own port>
                                                          │ scheduler.pick(client, Service IP)
                                                          ▼
                                                   backend pod IP:targetPort

TCP: each accepted connection opens one to the backend and copies bytes both ways until
either side closes (then the other is closed too); the backend's `active` count is up for
exactly that long, which is what lc, sed and nq read. A backend that refuses is marked
and the next pick tried, as the old userspace proxier retried endpoints. No backend: the
connection is accepted and closed at once (the old proxier's behaviour).

UDP: a session per client address, with its own socket to the backend; replies go back
from the Service's listener; a session idle for `udp_idle_timeout` ends (and stops
counting as active).

ClientIP affinity: a client goes to the backend it last used while its affinity has not
expired (timeoutSeconds after its last new connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from kubelite.proxy.userspace.schedulers import Backend, Scheduler
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.proxy.userspace")

CONNECT_TIMEOUT = 3.0
UDP_IDLE_TIMEOUT = 10.0


@dataclass(slots=True)
class Affinity:
    address: str
    expires: float


@dataclass(slots=True, eq=False)
class ServiceRelay:
    name: str  # ns/name:port, for logs
    protocol: str  # TCP or UDP
    cluster_ip: str
    scheduler: Scheduler
    bind: str = "0.0.0.0"
    affinity_seconds: int = 0
    clock: Clock = field(default_factory=RealClock)
    backends: list[Backend] = field(default_factory=list)
    port: int = 0  # the relay's own port once started
    _server: Any = None
    _affinity: dict[str, Affinity] = field(default_factory=dict)
    _udp: _UdpFront | None = None

    def set_backends(self, addresses: list[tuple[str, int]]) -> None:
        """The backends now; those kept keep their live counters."""
        old = {b.address: b for b in self.backends}
        self.backends = [old.get(f"{ip}:{port}") or Backend(ip, port) for ip, port in addresses]
        self.scheduler.update(self.backends)

    def choose(self, client: str) -> Backend | None:
        now = self.clock.now()
        if self.affinity_seconds:
            pinned = self._affinity.get(client)
            if pinned is not None and pinned.expires > now:
                b = next((b for b in self.backends if b.address == pinned.address), None)
                if b is not None:
                    pinned.expires = now + self.affinity_seconds
                    return b
        chosen = self.scheduler.pick(self.backends, client=client, destination=self.cluster_ip)
        if chosen is not None and self.affinity_seconds:
            self._affinity[client] = Affinity(chosen.address, now + self.affinity_seconds)
        return chosen

    async def start(self) -> int:
        if self.protocol == "UDP":
            loop = asyncio.get_running_loop()
            transport, front = await loop.create_datagram_endpoint(
                lambda: _UdpFront(self), local_addr=(self.bind, 0)
            )
            self._udp, self._server = front, transport
            self.port = transport.get_extra_info("sockname")[1]
        else:
            self._server = await asyncio.start_server(self._relay_tcp, self.bind, 0)
            self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        if self.protocol != "UDP":
            await self._server.wait_closed()
        if self._udp is not None:
            self._udp.close_sessions()
        self._server = None

    async def _relay_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = (writer.get_extra_info("peername") or ("", 0))[0]
        tried: set[str] = set()
        try:
            while (b := self.choose(client)) is not None and b.address not in tried:
                tried.add(b.address)
                try:
                    up_reader, up_writer = await asyncio.wait_for(
                        asyncio.open_connection(b.ip, b.port), CONNECT_TIMEOUT
                    )
                except (OSError, TimeoutError):
                    self._affinity.pop(client, None)
                    continue
                b.opened()
                try:
                    await _pipe(reader, writer, up_reader, up_writer)
                finally:
                    b.closed()
                return
        finally:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()


async def _copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
        if dst.can_write_eof():
            dst.write_eof()
    except (OSError, ConnectionError):
        pass


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    try:
        await asyncio.gather(_copy(reader, up_writer), _copy(up_reader, writer))
    finally:
        up_writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await up_writer.wait_closed()


class _UdpSession(asyncio.DatagramProtocol):
    def __init__(self, front: _UdpFront, client: tuple[str, int], backend: Backend) -> None:
        self.front, self.client, self.backend = front, client, backend
        self.transport: asyncio.DatagramTransport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.touch()
        if self.front.transport is not None:
            self.front.transport.sendto(data, self.client)

    def touch(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_later(UDP_IDLE_TIMEOUT, self.close)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.transport is not None:
            self.transport.close()
            self.transport = None
            self.backend.closed()
        self.front.sessions.pop(self.client, None)


class _UdpFront(asyncio.DatagramProtocol):
    def __init__(self, relay: ServiceRelay) -> None:
        self.relay = relay
        self.transport: asyncio.DatagramTransport | None = None
        self.sessions: dict[tuple[str, int], _UdpSession] = {}
        self.pending: dict[tuple[str, int], list[bytes]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        client = (str(addr[0]), int(addr[1]))
        session = self.sessions.get(client)
        if session is not None and session.transport is not None:
            session.touch()
            session.transport.sendto(data)
            return
        if client in self.pending:
            self.pending[client].append(data)
            return
        backend = self.relay.choose(client[0])
        if backend is not None:
            self.pending[client] = [data]
            asyncio.ensure_future(self._open(client, backend))

    async def _open(self, client: tuple[str, int], backend: Backend) -> None:
        loop = asyncio.get_running_loop()
        session = _UdpSession(self, client, backend)
        try:
            await loop.create_datagram_endpoint(lambda: session, remote_addr=(backend.ip, backend.port))
        except OSError:
            self.pending.pop(client, None)
            return
        backend.opened()
        self.sessions[client] = session
        session.touch()
        for data in self.pending.pop(client, []):
            if session.transport is not None:
                session.transport.sendto(data)

    def close_sessions(self) -> None:
        for session in list(self.sessions.values()):
            session.close()
