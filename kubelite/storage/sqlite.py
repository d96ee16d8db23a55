"""SQLiteStore: the embedded default backend, a log-structured MVCC store in one SQLite file.

The layout of the file and the writer are in sqlite_log.py, the watch fan-out in
sqlite_watch.py; this module ties them to the event loop and serves reads.

Threads and the event loop (all public methods must be called on the loop that ran
`start()`; they are safe to call concurrently from any number of tasks there):

* writes (create/update/delete/compact) are queued to the one writer thread and awaited;
  the writer group-commits whatever is queued, then, on the loop thread and in commit
  order, the store advances its revision, publishes the events to watchers and resolves
  the callers' futures. So when a write returns, its event is already in every matching
  watcher's buffer, and `current_revision()` covers it.
* `get` runs inline on the loop thread: it is one or two B-tree lookups (microseconds),
  cheaper than a hop to a thread.
* `list` and watch replay run on a small thread pool, each thread with its own connection,
  inside one read transaction so a list sees one consistent revision.

A write whose caller is cancelled may still be applied (it is already queued), as with
etcd. Revisions start at 1 and only grow, across restarts and compactions.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import sqlite_log
from .interface import (
    CompactedError,
    Event,
    EventType,
    FutureRevisionError,
    KeyValue,
    ListResult,
    UnavailableError,
)
from .sqlite_log import CompactStep, Create, Delete, LogWriter, SetCompactRevision, Update
from .sqlite_watch import WatchHub, watch_stream

# Log rows read per watch-replay query.
REPLAY_CHUNK = 1000
# Events a live watcher may have unread before it must catch up from the log instead.
WATCH_BUFFER = 10_000
READ_THREADS = 2

Events = list[Event]  # spelled once here: inside the class, `list` is the method


class SQLiteStore:
    """The Store contract (interface.py) over one SQLite database file at `path`."""

    def __init__(
        self, path: str, *, watch_buffer: int = WATCH_BUFFER, durable_power_loss: bool = False
    ) -> None:
        self.path = path
        self._watch_buffer = watch_buffer
        self._durable_power_loss = durable_power_loss
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: LogWriter | None = None
        self._hub: WatchHub | None = None
        self._reader: sqlite3.Connection | None = None  # the loop thread's own
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._pool_conns: list[sqlite3.Connection] = []
        self._revision = 0
        self._compacted = 0
        self._compact_lock = asyncio.Lock()
        self._start_lock = asyncio.Lock()
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        async with self._start_lock:
            if self._loop is None:
                await self._open()

    async def _open(self) -> None:
        try:
            self._revision, self._compacted = await asyncio.to_thread(sqlite_log.init_schema, self.path)
        except sqlite3.Error as err:
            raise UnavailableError(f"cannot open sqlite database {self.path}: {err}") from err
        self._loop = asyncio.get_running_loop()
        self._hub = WatchHub(self._revision, buffer_limit=self._watch_buffer)
        self._reader = sqlite_log.connect(self.path)
        self._pool = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="kubelite-sqlite-read")
        self._writer = LogWriter(
            self.path, self._revision, self._on_commit, durable_power_loss=self._durable_power_loss
        )
        self._writer.start()

    async def close(self) -> None:
        if self._loop is None or self._closed:
            return
        self._closed = True
        assert self._hub and self._writer and self._pool and self._reader
        self._hub.close()
        await asyncio.to_thread(self._writer.stop)  # finishes the queued writes first
        await asyncio.sleep(0)  # let their results reach the callers
        await asyncio.to_thread(self._pool.shutdown)
        for conn in [self._reader, *self._pool_conns]:
            conn.close()

    # -- writes ------------------------------------------------------------------------

    async def create(self, key: str, value: bytes) -> KeyValue:
        kv: KeyValue = await self._write(Create(key, value))
        return kv

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        kv: KeyValue = await self._write(Update(key, value, expected_revision))
        return kv

    async def delete(self, key: str, *, expected_revision: int = 0) -> KeyValue:
        kv: KeyValue = await self._write(Delete(key, expected_revision))
        return kv

    async def compact(self, revision: int) -> None:
        async with self._compact_lock:
            if revision <= self._compacted:
                return
            if revision > self._revision:
                raise FutureRevisionError(revision, self._revision)
            # Refuse old reads before any row goes; rows at or above `revision` never go.
            self._compacted = revision
            await self._write(SetCompactRevision(revision))
            cursor: int = 1
            while cursor:
                cursor = await self._write(CompactStep(revision, cursor))

    async def _write(self, op: sqlite_log.Op) -> Any:
        """Submit `op` to the writer thread; its outcome (a KeyValue, or a compaction cursor)
        once committed."""
        self._check_open()
        assert self._loop and self._writer
        future = self._loop.create_future()
        self._writer.submit(op, future)
        return await future

    def _on_commit(self, outcomes: sqlite_log.Outcomes, events: list[Event], revision: int) -> None:
        assert self._loop
        try:
            self._loop.call_soon_threadsafe(self._committed, outcomes, events, revision)
        except RuntimeError:  # the loop is gone: nobody is left to tell
            pass

    def _committed(self, outcomes: sqlite_log.Outcomes, events: list[Event], revision: int) -> None:
        """On the loop thread, in commit order: revision, then watchers, then callers."""
        assert self._hub
        self._revision = max(self._revision, revision)
        self._hub.publish(events, revision)
        for future, outcome in outcomes:
            if future.done():  # the caller was cancelled
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    # -- reads -------------------------------------------------------------------------

    async def current_revision(self) -> int:
        self._check_open()
        return self._revision

    async def compact_revision(self) -> int:
        self._check_open()
        return self._compacted

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        self._check_open()
        assert self._reader
        if revision == 0:
            return sqlite_log.read_current(self._reader, key)
        self._check_revision(revision)
        row = self._reader.execute(
            "SELECT id, create_revision, deleted, value FROM log "
            "WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1",
            (key, revision),
        ).fetchone()
        self._check_compacted(revision)  # a compaction may have run while we read
        if row is None or row[2]:
            return None
        return KeyValue(key, row[3], row[1], row[0])

    async def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_key: str = ""
    ) -> ListResult:
        self._check_open()
        if revision:
            self._check_compacted(revision)  # the future check needs the read's snapshot
        result: ListResult = await self._in_pool(self._list_sync, prefix, revision, limit, start_key)
        return result

    def watch(self, prefix: str, *, start_revision: int) -> AsyncIterator[Event]:
        self._check_open()
        assert self._hub
        return watch_stream(self._hub, prefix, start_revision, self._read_log, lambda: self._compacted)

    # -- helpers -----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._loop is None:
            raise UnavailableError("sqlite store is not started")
        if self._closed:
            raise UnavailableError("sqlite store is closed")

    def _check_compacted(self, revision: int) -> None:
        if revision < self._compacted:
            raise CompactedError(revision, self._compacted)

    def _check_revision(self, revision: int) -> None:
        self._check_compacted(revision)
        if revision > self._revision:
            # A commit may be in the database a moment before the loop hears of it (a list
            # can already have returned its revision), so ask the database before refusing.
            assert self._reader
            (newest,) = self._reader.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
            if revision > newest:
                raise FutureRevisionError(revision, newest)

    async def _in_pool(self, fn: Any, *args: Any) -> Any:
        assert self._loop
        return await self._loop.run_in_executor(self._pool, fn, *args)

    def _conn(self) -> sqlite3.Connection:
        """The calling pool thread's own connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = sqlite_log.connect(self.path)
            self._pool_conns.append(conn)
        return conn

    def _list_sync(self, prefix: str, revision: int, limit: int, start_key: str) -> ListResult:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            (snapshot,) = conn.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
            if revision > snapshot:
                raise FutureRevisionError(revision, snapshot)
            if revision in (0, snapshot):
                rows, count = _list_current(conn, prefix, start_key, limit)
            else:
                rows, count = _list_history(conn, prefix, start_key, revision, limit)
        finally:
            conn.execute("COMMIT")
        if revision:
            self._check_compacted(revision)
        kvs = [KeyValue(name, value, created, modified) for name, value, created, modified in rows]
        return ListResult(kvs=kvs, revision=revision or snapshot, more=count > len(kvs), count=count)

    async def _read_log(self, prefix: str, start: int, end: int) -> tuple[Events, int]:
        found: tuple[Events, int] = await self._in_pool(self._read_log_sync, prefix, start, end)
        return found

    def _read_log_sync(self, prefix: str, start: int, end: int) -> tuple[Events, int]:
        bounds, params = _key_range(prefix, "", column="l.name")
        rows = (
            self._conn()
            .execute(
                "SELECT l.id, l.name, l.create_revision, l.prev_revision, l.deleted, l.value, p.value "
                "FROM log l LEFT JOIN log p ON p.id = l.prev_revision AND l.deleted = 0 "
                f"WHERE l.id >= ? AND l.id <= ? AND {bounds} ORDER BY l.id LIMIT ?",
                (start, end, *params, REPLAY_CHUNK),
            )
            .fetchall()
        )
        events = [_event_from_row(*row) for row in rows]
        read_to = rows[-1][0] + 1 if len(rows) == REPLAY_CHUNK else end + 1
        return events, read_to


def _key_range(prefix: str, start_key: str, *, column: str = "name") -> tuple[str, list[str]]:
    """SQL bounds for keys under `prefix`, from `start_key` on (code point order = UTF-8
    byte order = SQLite's BINARY collation)."""
    low = max(prefix, start_key)
    end = _prefix_end(prefix)
    if end is None:
        return f"{column} >= ?", [low]
    return f"{column} >= ? AND {column} < ?", [low, end]


def _prefix_end(prefix: str) -> str | None:
    """The least string greater than every string starting with `prefix` (None: no bound)."""
    chars = prefix.rstrip(chr(0x10FFFF))
    if not chars:
        return None
    return chars[:-1] + chr(ord(chars[-1]) + 1)


def _list_current(conn: sqlite3.Connection, prefix: str, start_key: str, limit: int) -> tuple[list[Any], int]:
    bounds, params = _key_range(prefix, start_key, column="c.name")
    rows = conn.execute(
        "SELECT c.name, l.value, c.create_revision, c.mod_revision FROM current c "
        f"JOIN log l ON l.id = c.mod_revision WHERE {bounds} ORDER BY c.name LIMIT ?",
        (*params, limit or -1),
    ).fetchall()
    if not limit or len(rows) < limit:
        return rows, len(rows)
    (count,) = conn.execute(f"SELECT count(*) FROM current c WHERE {bounds}", params).fetchone()
    return rows, count


# The newest row of each key under the bounds with id <= revision.
_NEWEST_AT = "SELECT MAX(id) AS id FROM log WHERE {bounds} AND id <= ? GROUP BY name"


def _list_history(
    conn: sqlite3.Connection, prefix: str, start_key: str, revision: int, limit: int
) -> tuple[list[Any], int]:
    bounds, params = _key_range(prefix, start_key)
    newest = _NEWEST_AT.format(bounds=bounds)
    rows = conn.execute(
        f"SELECT l.name, l.value, l.create_revision, l.id FROM log l JOIN ({newest}) n "
        "ON l.id = n.id WHERE l.deleted = 0 ORDER BY l.name LIMIT ?",
        (*params, revision, limit or -1),
    ).fetchall()
    if not limit or len(rows) < limit:
        return rows, len(rows)
    (count,) = conn.execute(
        f"SELECT count(*) FROM log l JOIN ({newest}) n ON l.id = n.id WHERE l.deleted = 0",
        (*params, revision),
    ).fetchone()
    return rows, count


def _event_from_row(
    rev: int, name: str, created: int, prev_rev: int, deleted: int, value: bytes, prev_value: bytes | None
) -> Event:
    if deleted:  # a tombstone carries the last value
        return Event(
            EventType.DELETE, KeyValue(name, value, created, rev), KeyValue(name, value, created, prev_rev)
        )
    kv = KeyValue(name, value, created, rev)
    if created == rev or prev_value is None:  # a create, or its prev was compacted
        return Event(EventType.PUT, kv)
    return Event(EventType.PUT, kv, KeyValue(name, prev_value, created, prev_rev))
