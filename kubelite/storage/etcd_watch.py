"""An etcd watch read on its own thread and handed to the event loop in batches.

etcd sends most events one per watch response. Read with gRPC's asyncio API, each
response costs the reading task a full turn of the event loop; on a busy API server (many
requests and watch streams ready on every turn) that caps how many events per second the
watch cache can take in, and it falls behind etcd. A thread that only reads the stream
has no such cap: it queues events as they come, and the loop drains everything queued
in one go.

The thread owns a synchronous gRPC channel for this one stream. `aclose()` (or
cancellation of the consumer) cancels the stream and lets the thread end.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc
from aetcd import rpc

from .interface import CompactedError, Event, StorageError, UnavailableError

_UNREACHABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


class ThreadedWatch:
    def __init__(
        self, target: str, key: bytes, range_end: bytes, start_revision: int, convert: Callable[[Any], Event]
    ) -> None:
        self._request = rpc.WatchRequest(
            create_request=rpc.WatchCreateRequest(
                key=key, range_end=range_end, start_revision=start_revision, prev_kv=True
            )
        )
        self._start_revision = start_revision
        self._convert = convert
        self._target = target
        self._loop = asyncio.get_running_loop()
        self._lock = threading.Lock()
        self._buffer: collections.deque[Event] = collections.deque()
        self._error: BaseException | None = None
        self._finished = False
        self._wake_pending = False
        self._ready = asyncio.Event()
        self._stop = threading.Event()
        self._call: Any = None
        self._channel = grpc.insecure_channel(target)
        self._thread = threading.Thread(target=self._read, name="etcd-watch", daemon=True)
        self._thread.start()

    # ---- reader thread ---------------------------------------------------------------

    def _requests(self) -> Iterator[Any]:
        yield self._request
        self._stop.wait()  # keep the request side open for the stream's lifetime

    def _read(self) -> None:
        try:
            self._call = rpc.WatchStub(self._channel).Watch(self._requests())
            if self._stop.is_set():
                self._call.cancel()
            for resp in self._call:
                if resp.compact_revision:
                    raise CompactedError(self._start_revision, resp.compact_revision)
                if resp.canceled:
                    raise StorageError(f"etcd cancelled the watch: {resp.cancel_reason}")
                if resp.events:
                    events = [self._convert(e) for e in resp.events]
                    with self._lock:
                        self._buffer.extend(events)
                    self._notify()
            raise UnavailableError("etcd ended the watch stream")
        except grpc.RpcError as err:
            if self._stop.is_set():
                self._fail(None)  # closed on purpose: the stream just ends
                return
            code = err.code() if hasattr(err, "code") else None
            if code in _UNREACHABLE:
                self._fail(UnavailableError(f"etcd watch lost: {err.details()}"))
            else:
                self._fail(StorageError(f"etcd watch failed: {err}"))
        except StorageError as err:
            self._fail(err)
        finally:
            self._channel.close()

    def _fail(self, err: BaseException | None) -> None:
        with self._lock:
            self._error = err
            self._finished = True
        self._notify()

    def _notify(self) -> None:
        with self._lock:
            if self._wake_pending:
                return
            self._wake_pending = True
        try:
            self._loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # the loop is closed: nobody is reading any more
            pass

    # ---- event loop side -------------------------------------------------------------

    def _wake(self) -> None:
        with self._lock:
            self._wake_pending = False
        self._ready.set()

    def close(self) -> None:
        self._stop.set()
        if self._call is not None:
            self._call.cancel()

    async def events(self) -> AsyncIterator[Event]:
        try:
            while True:
                with self._lock:
                    batch = list(self._buffer)
                    self._buffer.clear()
                    error, finished = self._error, self._finished
                    self._ready.clear()
                for ev in batch:
                    yield ev
                if finished and not batch:
                    if error is not None:
                        raise error
                    return
                if not batch:
                    await self._ready.wait()
        finally:
            self.close()
