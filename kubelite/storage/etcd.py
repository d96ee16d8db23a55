"""EtcdStore: the Store contract over a real etcd v3 cluster.

It speaks etcd's gRPC API through the protocol bindings that the `aetcd` package ships
(`aetcd.rpc`). aetcd's own `Client` wraps only part of the API (its range calls take no
revision or limit, and its watcher queues responses behind a small bounded queue), so we
build the requests ourselves; they map one-to-one onto the contract:

    create   Txn(if create_revision(key) == 0 then put)
    update   Txn(if mod_revision(key) == expected then put(prev_kv) else range(key))
    delete   Txn(if mod_revision(key) == expected then delete(prev_kv) else range(key))
    list     Range(max(prefix, start_key) .. end of prefix, revision, limit)
    watch    one Watch stream per watcher, with start_revision and prev_kv
    compact  Compact(revision)

etcd itself is durable (it acknowledges after its raft log is fsynced), linearizable
(ranges are not `serializable`) and keeps its revision and compact revision across
restarts. Failures to reach it become UnavailableError; callers retry.

With several endpoints given as IP addresses, gRPC fails over between them; with host
names, the first endpoint is used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import AsyncIterator
from typing import Any, NoReturn

import grpc
from aetcd import rpc

from .etcd_watch import ThreadedWatch
from .interface import (
    CompactedError,
    Event,
    EventType,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    ListResult,
    RevisionMismatchError,
    StorageError,
    UnavailableError,
)

log = logging.getLogger(__name__)

# How long one unary call may take before the store is reported unavailable.
CALL_TIMEOUT = 10.0
_UNREACHABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
# etcd reports both with code OUT_OF_RANGE; only the detail text tells them apart.
_COMPACTED_DETAIL = "required revision has been compacted"
_FUTURE_DETAIL = "required revision is a future revision"


class EtcdStore:
    """The Store contract (interface.py) over etcd v3 at `endpoints` ("host:port")."""

    def __init__(self, endpoints: list[str], *, timeout: float = CALL_TIMEOUT) -> None:
        if not endpoints:
            raise ValueError("EtcdStore needs at least one endpoint")
        self.endpoints = [_strip_scheme(e) for e in endpoints]
        self._timeout = timeout
        self._channel: grpc.aio.Channel | None = None
        self._kv: rpc.KVStub | None = None
        self._watch: rpc.WatchStub | None = None
        self._streams: set[grpc.aio.StreamStreamCall] = set()
        self._threaded: set[ThreadedWatch] = set()
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self._channel is not None:
            return
        self._channel = rpc.insecure_channel(
            _grpc_target(self.endpoints),
            options=[
                ("grpc.max_receive_message_length", 512 * 1024 * 1024),
                ("grpc.keepalive_time_ms", 30_000),
            ],
        )
        self._kv = rpc.KVStub(self._channel)
        self._watch = rpc.WatchStub(self._channel)
        try:
            await self.current_revision()  # fail now, clearly, if etcd cannot be reached
        except BaseException:
            channel, self._channel, self._kv, self._watch = self._channel, None, None, None
            await channel.close()
            raise

    async def close(self) -> None:
        if self._channel is None or self._closed:
            return
        self._closed = True
        for stream in list(self._streams):
            stream.cancel()
        for reader in list(self._threaded):
            reader.close()
        await self._channel.close()

    # -- writes ------------------------------------------------------------------------

    async def create(self, key: str, value: bytes) -> KeyValue:
        name = key.encode()
        resp = await self._txn(
            rpc.Compare(key=name, target=rpc.Compare.CREATE, result=rpc.Compare.EQUAL, create_revision=0),
            rpc.RequestOp(request_put=rpc.PutRequest(key=name, value=value)),
        )
        if not resp.succeeded:
            raise KeyExistsError(key)
        rev = resp.header.revision
        return KeyValue(key, value, rev, rev)

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        name = key.encode()
        resp = await self._txn(
            _expect(name, expected_revision),
            rpc.RequestOp(request_put=rpc.PutRequest(key=name, value=value, prev_kv=True)),
            rpc.RequestOp(request_range=rpc.RangeRequest(key=name)),
        )
        if not resp.succeeded:
            _raise_cas_failure(key, resp)
        prev = resp.responses[0].response_put.prev_kv
        return KeyValue(key, value, prev.create_revision, resp.header.revision)

    async def delete(self, key: str, *, expected_revision: int = 0) -> KeyValue:
        name = key.encode()
        resp = await self._txn(
            _expect(name, expected_revision),
            rpc.RequestOp(request_delete_range=rpc.DeleteRangeRequest(key=name, prev_kv=True)),
            rpc.RequestOp(request_range=rpc.RangeRequest(key=name)),
        )
        if not resp.succeeded:
            _raise_cas_failure(key, resp)
        (prev,) = resp.responses[0].response_delete_range.prev_kvs
        return KeyValue(key, prev.value, prev.create_revision, resp.header.revision)

    async def compact(self, revision: int) -> None:
        try:
            await self._unary(self._stub().Compact, rpc.CompactionRequest(revision=revision))
        except CompactedError:
            return  # already compacted at or past `revision`

    # -- reads -------------------------------------------------------------------------

    async def current_revision(self) -> int:
        resp = await self._unary(self._stub().Range, rpc.RangeRequest(key=b"\0", count_only=True))
        return int(resp.header.revision)

    async def compact_revision(self) -> int:
        """etcd has no call for it: a read at revision 1 fails once anything was compacted,
        and a watch from revision 1 is then cancelled with the compact revision."""
        try:
            await self._unary(
                self._stub().Range,
                rpc.RangeRequest(key=b"\0", revision=1, count_only=True),
                revision=1,
                probing=True,
            )
            return 0
        except CompactedError:
            pass
        try:
            async for _ in self._watch_stream(b"\0", b"", start_revision=1):
                pass
        except CompactedError as err:
            return err.compacted
        raise StorageError("etcd did not report its compact revision")

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        resp = await self._unary(
            self._stub().Range, rpc.RangeRequest(key=key.encode(), revision=revision), revision=revision
        )
        return _kv(resp.kvs[0]) if resp.kvs else None

    async def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_key: str = ""
    ) -> ListResult:
        request = rpc.RangeRequest(
            key=max(prefix, start_key).encode() or b"\0",
            range_end=_prefix_end(prefix.encode()),
            revision=revision,
            limit=limit,
        )
        resp = await self._unary(self._stub().Range, request, revision=revision)
        return ListResult(
            kvs=[_kv(kv) for kv in resp.kvs],
            revision=revision or resp.header.revision,
            more=resp.more,
            count=resp.count,
        )

    def watch(self, prefix: str, *, start_revision: int) -> AsyncIterator[Event]:
        name = prefix.encode()
        return self._watch_stream(name or b"\0", _prefix_end(name), start_revision)

    async def watch_threaded(self, prefix: str, *, start_revision: int) -> AsyncIterator[Event]:
        """`watch`, read on a thread of its own: for one long, busy stream (the watch cache).

        Same contract as `watch`; see etcd_watch.py for why a thread.
        """
        self._stub()  # refuse when not started or closed
        name = prefix.encode()
        reader = ThreadedWatch(
            _grpc_target(self.endpoints), name or b"\0", _prefix_end(name), start_revision, _event
        )
        self._threaded.add(reader)
        try:
            async for ev in reader.events():
                yield ev
        except UnavailableError:
            if self._closed:
                return
            raise
        finally:
            reader.close()
            self._threaded.discard(reader)

    # -- helpers -----------------------------------------------------------------------

    def _stub(self) -> rpc.KVStub:
        if self._kv is None:
            raise UnavailableError("etcd store is not started")
        if self._closed:
            raise UnavailableError("etcd store is closed")
        return self._kv

    async def _txn(
        self, compare: rpc.Compare, success: rpc.RequestOp, failure: rpc.RequestOp | None = None
    ) -> rpc.TxnResponse:
        request = rpc.TxnRequest(compare=[compare], success=[success], failure=[failure] if failure else [])
        return await self._unary(self._stub().Txn, request)

    async def _unary(self, method: Any, request: Any, *, revision: int = 0, probing: bool = False) -> Any:
        try:
            return await method(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as err:
            await self._raise_from(err, revision, probing)

    async def _raise_from(self, err: grpc.aio.AioRpcError, revision: int, probing: bool) -> NoReturn:
        """Turn a gRPC failure into the contract's errors."""
        code, detail = err.code(), err.details() or ""
        if code in _UNREACHABLE:
            raise UnavailableError(f"etcd unreachable at {self.endpoints}: {detail}") from err
        if code == grpc.StatusCode.OUT_OF_RANGE and _COMPACTED_DETAIL in detail:
            compacted = 0 if probing else await self.compact_revision()
            raise CompactedError(revision, compacted) from err
        if code == grpc.StatusCode.OUT_OF_RANGE and _FUTURE_DETAIL in detail:
            raise FutureRevisionError(revision, await self.current_revision()) from err
        raise StorageError(f"etcd: {code.name}: {detail}") from err

    async def _watch_stream(self, key: bytes, range_end: bytes, start_revision: int) -> AsyncIterator[Event]:
        self._stub()  # refuse when not started or closed
        assert self._watch
        stream = self._watch.Watch()
        self._streams.add(stream)
        try:
            await stream.write(
                rpc.WatchRequest(
                    create_request=rpc.WatchCreateRequest(
                        key=key, range_end=range_end, start_revision=start_revision, prev_kv=True
                    )
                )
            )
            while True:
                resp = await stream.read()
                if resp is grpc.aio.EOF:
                    raise UnavailableError("etcd ended the watch stream")
                if resp.compact_revision:
                    raise CompactedError(start_revision, resp.compact_revision)
                if resp.canceled:
                    raise StorageError(f"etcd cancelled the watch: {resp.cancel_reason}")
                for event in resp.events:
                    yield _event(event)
        except grpc.aio.AioRpcError as err:
            if self._closed:
                return
            await self._raise_from(err, start_revision, probing=True)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._closed and task is not None and not task.cancelling():
                return  # our close() cancelled the stream: the watch just ends
            raise
        finally:
            stream.cancel()
            self._streams.discard(stream)


def _expect(name: bytes, expected_revision: int) -> rpc.Compare:
    """The CAS condition: the key's mod_revision, or (0) merely that the key is live."""
    if expected_revision:
        return rpc.Compare(
            key=name, target=rpc.Compare.MOD, result=rpc.Compare.EQUAL, mod_revision=expected_revision
        )
    return rpc.Compare(key=name, target=rpc.Compare.CREATE, result=rpc.Compare.GREATER, create_revision=0)


def _raise_cas_failure(key: str, resp: rpc.TxnResponse) -> NoReturn:
    kvs = resp.responses[0].response_range.kvs
    if not kvs:
        raise KeyNotFoundError(key)
    raise RevisionMismatchError(key, _kv(kvs[0]))


def _kv(kv: rpc.KeyValue) -> KeyValue:
    return KeyValue(kv.key.decode(), kv.value, kv.create_revision, kv.mod_revision)


def _event(event: rpc.Event) -> Event:
    prev = _kv(event.prev_kv) if event.HasField("prev_kv") else None
    if event.type == rpc.Event.DELETE:
        # etcd's delete event carries only the key and revision; the value is in prev_kv.
        kv = KeyValue(
            event.kv.key.decode(),
            prev.value if prev else b"",
            prev.create_revision if prev else 0,
            event.kv.mod_revision,
        )
        return Event(EventType.DELETE, kv, prev)
    return Event(EventType.PUT, _kv(event.kv), prev)


def _prefix_end(prefix: bytes) -> bytes:
    """etcd's range end for "every key starting with prefix"; b"\\0" means no end."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return b"\0"
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def _strip_scheme(endpoint: str) -> str:
    for scheme in ("http://", "https://", "etcd://"):
        if endpoint.startswith(scheme):
            return endpoint[len(scheme) :].rstrip("/")
    return endpoint.rstrip("/")


def _grpc_target(endpoints: list[str]) -> str:
    """One gRPC target: an address list gRPC fails over within when all are IPv4 literals."""
    if len(endpoints) > 1:
        hosts = [e.rpartition(":")[0] for e in endpoints]
        try:
            if all(ipaddress.ip_address(h).version == 4 for h in hosts):
                return "ipv4:" + ",".join(endpoints)
        except ValueError:
            pass
        log.warning("Using only the first etcd endpoint", extra={"endpoints": endpoints})
    return endpoints[0]
