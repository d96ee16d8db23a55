"""DNS over UDP and TCP on asyncio: one handler, two transports.

    UDP datagram ─┐                               ┌─ cluster zones (answer.py)   "kubernetes"
                  ├─ handle(wire) → parse ─ ask ──┼─ cache (cache.py)            "cache"
    TCP stream ───┘   (2-byte length framing)     └─ upstream (forward.py)       "forward"

A reply over UDP fits the client's buffer (512 bytes, or the EDNS0 size it announced):
one that does not is cut to the answers that fit and flagged TC, and the client asks again
over TCP. Malformed questions get FORMERR, other opcodes NOTIMP, as CoreDNS replies. A
TCP connection stays open for further questions until it has been idle for 10 s.

A UDP reply leaves from the address its question was sent to (IP_PKTINFO), as CoreDNS's
does: on a wildcard socket the kernel would otherwise pick the source by the route back -
for a pod, the pod network's gateway on the host - and a reply to a question that came
through the kube-dns Service (DNAT to this server's published address) would come from an
address the pod never asked, which its resolver drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype
import dns.rrset

from kubelite.dns.answer import ClusterZones, Reply
from kubelite.dns.cache import Cache
from kubelite.dns.forward import Forwarder
from kubelite.dns.metrics import DNSMetrics
from kubelite.util.net import ListenError

log = logging.getLogger("kubelite.dns.server")
TCP_IDLE = 10.0
UDP_MIN = 512


def _reply_message(query: dns.message.Message, r: Reply) -> dns.message.Message:
    msg = dns.message.make_response(query)
    msg.flags |= dns.flags.AA
    msg.set_rcode(dns.rcode.Rcode.make(r.rcode))
    msg.answer = [_shuffled(rrset) for rrset in r.answer.list()]
    msg.authority = r.authority.list()
    msg.additional = r.extra.list()
    return msg


def _shuffled(rrset: dns.rrset.RRset) -> dns.rrset.RRset:
    """Addresses in random order (Corefile: `loadbalance`), so clients spread over them."""
    if rrset.rdtype not in (dns.rdatatype.A, dns.rdatatype.AAAA) or len(rrset) < 2:
        return rrset
    items = list(rrset)
    random.shuffle(items)
    out = dns.rrset.RRset(rrset.name, rrset.rdclass, rrset.rdtype)
    for rd in items:
        out.add(rd, rrset.ttl)
    return out


def _error(wire: bytes, rcode: int) -> bytes:
    """A bare reply with the query's id and `rcode`, for questions we cannot read."""
    qid = wire[:2] if len(wire) >= 2 else b"\0\0"
    flags = 0x8000 | (rcode & 0xF)
    return qid + struct.pack("!HHHHH", flags, 0, 0, 0, 0)


def fit(msg: dns.message.Message, max_size: int) -> bytes:
    """`msg` as wire bytes of at most `max_size`, truncated (TC) if it must be."""
    try:
        return msg.to_wire(max_size=max_size)
    except dns.exception.TooBig:
        pass
    records = [(r.name, r.rdclass, r.rdtype, r.ttl, rd) for r in msg.answer for rd in r]
    lo, hi, best = 0, len(records), b""
    while lo <= hi:
        mid = (lo + hi) // 2
        cut = _copy_header(msg)
        for name, rdclass, rdtype, ttl, rd in records[:mid]:
            cut.find_rrset(cut.answer, name, rdclass, rdtype, create=True).add(rd, ttl)
        try:
            best = cut.to_wire(max_size=max_size)
            lo = mid + 1
        except dns.exception.TooBig:
            hi = mid - 1
    return best


def _copy_header(msg: dns.message.Message) -> dns.message.Message:
    cut = dns.message.Message(id=msg.id)
    cut.flags = msg.flags | dns.flags.TC
    cut.question = list(msg.question)
    if msg.edns >= 0:
        cut.use_edns(msg.edns, msg.ednsflags, msg.payload)
    return cut


@dataclass(slots=True)
class _Memo:
    """A reply already rendered, for the same question asked again (the id aside)."""

    wire: bytes  # without its first two bytes (the id)
    rdtype: int
    rcode: str
    plugin: str
    generation: int  # the cluster's state it was made from (-1: not from the cluster)
    until: float  # perf_counter deadline


MEMO_MAX = 10_000
MEMO_CACHED_FOR = 1.0  # a cached upstream reply's TTLs count down by the second


@dataclass(slots=True)
class Handler:
    """Questions in, replies out. The same question bytes asked again (same flags, EDNS
    and case; another id) get the reply rendered the first time while it is still true:
    a cluster answer until the caches change, a cached upstream answer for a second."""

    zones: ClusterZones
    forwarder: Forwarder
    cache: Cache
    metrics: DNSMetrics
    memo: dict[bytes, _Memo] = field(default_factory=dict)

    async def handle(self, wire: bytes, *, tcp: bool, family: int) -> bytes | None:
        started = time.perf_counter()
        key = (b"t" if tcp else b"u") + wire[2:]
        memo = self.memo.get(key)
        if memo is not None and started < memo.until and memo.generation in (-1, self._generation()):
            if memo.plugin == "cache":
                self.metrics.cache_hit(denial=memo.rcode == "NXDOMAIN")
            self._observe(tcp, family, memo.rdtype, memo.rcode, memo.plugin, started)
            return wire[:2] + memo.wire
        try:
            query = dns.message.from_wire(wire)
        except dns.message.ShortHeader:
            return None  # not even an id to answer to
        except dns.exception.DNSException:
            return _error(wire, dns.rcode.FORMERR)
        generation = self._generation()
        msg, plugin, remember = await self._reply(query, tcp=tcp)
        max_size = 65535 if tcp else max(UDP_MIN, query.payload if query.edns >= 0 else UDP_MIN)
        out = fit(msg, max_size)
        rdtype = query.question[0].rdtype if query.question else 0
        rcode = dns.rcode.to_text(msg.rcode())
        if remember:
            if len(self.memo) >= MEMO_MAX:
                self.memo.clear()
            cluster = plugin == "kubernetes"
            until = float("inf") if cluster else started + MEMO_CACHED_FOR
            self.memo[key] = _Memo(out[2:], rdtype, rcode, plugin, generation if cluster else -1, until)
        self._observe(tcp, family, rdtype, rcode, plugin, started)
        return out

    def _generation(self) -> int:
        return self.zones.records.index.generation

    def _observe(self, tcp: bool, family: int, rdtype: int, rcode: str, plugin: str, started: float) -> None:
        self.metrics.observe(
            proto="tcp" if tcp else "udp",
            family=family,
            rdtype=rdtype,
            rcode=rcode,
            plugin=plugin,
            seconds=time.perf_counter() - started,
        )

    async def _reply(self, query: dns.message.Message, *, tcp: bool) -> tuple[dns.message.Message, str, bool]:
        """The reply, who made it, and whether it may be given again as it is."""
        if query.opcode() != dns.opcode.QUERY:
            msg = dns.message.make_response(query)
            msg.set_rcode(dns.rcode.NOTIMP)
            return msg, "", False
        if len(query.question) != 1:
            msg = dns.message.make_response(query)
            msg.set_rcode(dns.rcode.FORMERR)
            return msg, "", False
        q = query.question[0]
        answer = await self.zones.answer(q.name, q.rdtype)
        if answer is not None:
            # answers in random order (loadbalance) and SERVFAIL before the sync are not kept
            remember = (
                answer.from_cluster_only
                and answer.rcode != dns.rcode.SERVFAIL
                and not any(
                    len(r) > 1 and r.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
                    for r in answer.answer.list()
                )
            )
            return _reply_message(query, answer), "kubernetes", remember
        cached = self.cache.get(query)
        if cached is not None:
            self.metrics.cache_hit(denial=cached.rcode() == dns.rcode.NXDOMAIN or not cached.answer)
            return cached, "cache", True
        self.metrics.cache_miss()
        reply = await self.forwarder.forward(query, tcp=tcp)
        if reply is None:
            msg = dns.message.make_response(query)
            msg.set_rcode(dns.rcode.SERVFAIL)
            return msg, "forward", False
        self.cache.put(query, reply)
        self.metrics.cache_size(len(self.cache) - self.cache.denials, self.cache.denials)
        return reply, "forward", False


class _UDP(asyncio.DatagramProtocol):
    def __init__(self, handler: Handler, family: int) -> None:
        self.handler = handler
        self.family = family
        self.transport: Any = None  # an asyncio.DatagramTransport (uvloop's is its own class)
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.get_running_loop().create_task(self._answer(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            out = await self.handler.handle(data, tcp=False, family=self.family)
        except Exception:  # one bad question must not stop the server
            log.exception("could not answer a question")
            out = _error(data, dns.rcode.SERVFAIL)
        if out is not None and self.transport is not None:
            self.transport.sendto(out, addr)


IP_PKTINFO = 8  # Linux: ancillary struct in_pktinfo {ifindex; spec_dst; addr} (not in `socket`)
_PKTINFO = struct.Struct("=i4s4s")


class _UDPv4:
    """UDP over IPv4 with each reply sent from the address its question arrived at."""

    def __init__(self, handler: Handler, host: str, port: int) -> None:
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        self.sock.setblocking(False)
        self.sock.bind((host, port))
        self.tasks: set[asyncio.Task[None]] = set()
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(self.sock.fileno(), self._readable)

    def _readable(self) -> None:
        for _ in range(64):  # a burst, then let the loop breathe
            try:
                data, ancillary, _, addr = self.sock.recvmsg(65535, socket.CMSG_SPACE(_PKTINFO.size))
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                log.exception("could not read a question")
                return
            local = b""
            for level, kind, payload in ancillary:
                if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(payload) >= _PKTINFO.size:
                    local = _PKTINFO.unpack_from(payload)[2]  # the header's destination address
            task = self.loop.create_task(self._answer(data, addr, local))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _answer(self, data: bytes, addr: tuple[str, int], local: bytes) -> None:
        try:
            out = await self.handler.handle(data, tcp=False, family=1)
        except Exception:  # one bad question must not stop the server
            log.exception("could not answer a question")
            out = _error(data, dns.rcode.SERVFAIL)
        if out is None or self.sock.fileno() < 0:
            return
        ancillary = [(socket.IPPROTO_IP, IP_PKTINFO, _PKTINFO.pack(0, local, bytes(4)))] if local else []
        with contextlib.suppress(OSError):  # a full buffer or a vanished client: the client retries
            self.sock.sendmsg([out], ancillary, 0, addr)

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self.loop.remove_reader(self.sock.fileno())
            self.sock.close()


@dataclass(slots=True)
class DNSServer:
    """Listens on `host:port` over UDP and TCP until `close()`."""

    handler: Handler
    host: str
    port: int
    _udp: asyncio.DatagramTransport | None = None
    _tcp: asyncio.Server | None = None
    _protocol: _UDP | None = field(default=None)
    _udp4: _UDPv4 | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        family = 2 if ":" in self.host else 1
        try:
            self._tcp = await asyncio.start_server(self._stream, self.host, self.port, reuse_address=True)
            if self.port == 0:
                self.port = self._tcp.sockets[0].getsockname()[1]
            if family == 1:
                self._udp4 = _UDPv4(self.handler, self.host, self.port)
                return
            transport, protocol = await loop.create_datagram_endpoint(
                lambda: _UDP(self.handler, family), local_addr=(self.host, self.port)
            )
        except OSError as err:
            await self.close()
            raise ListenError(self.host, self.port, err) from None
        self._udp, self._protocol = transport, protocol

    async def _stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        family = 2 if ":" in (writer.get_extra_info("peername") or ("",))[0] else 1
        try:
            while True:
                head = await asyncio.wait_for(reader.readexactly(2), TCP_IDLE)
                wire = await reader.readexactly(struct.unpack("!H", head)[0])
                try:
                    out = await self.handler.handle(wire, tcp=True, family=family)
                except Exception:
                    log.exception("could not answer a question")
                    out = _error(wire, dns.rcode.SERVFAIL)
                if out is None:
                    break
                writer.write(struct.pack("!H", len(out)) + out)
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def close(self) -> None:
        if self._udp4 is not None:
            for t in list(self._udp4.tasks):
                t.cancel()
            self._udp4.close()
        if self._udp is not None:
            self._udp.close()
        if self._protocol is not None:
            for t in list(self._protocol.tasks):
                t.cancel()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
