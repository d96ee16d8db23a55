"""The SQLite log: its schema, and the one writer thread that appends to it.

Storage is log-structured, in the manner of kine: every write appends one row to `log`, and
the row id *is* the revision. Nothing in `log` is ever updated; compaction deletes rows
that no read at or after the compact revision can see.

Tables::

    log      id (= revision), name, create_revision, prev_revision, deleted, value
             A delete appends a tombstone (deleted = 1) that carries the key's last value,
             so its event replays without the older row. `prev_revision` points at the row
             a PUT replaced (0 for a create), for the watch event's `prev`.
    current  name -> mod_revision, create_revision of every live key: get and list at the
             newest revision are one index walk joined to `log` by rowid.
    meta     'revision' (the counter: revisions are never reused, even when compaction
             deletes rows) and 'compact_revision'.

All writes go through one `LogWriter` thread with its own connection. It takes every write
waiting in its queue, applies them in one transaction, commits once (group commit), and
only then hands the outcomes and events to `on_commit`. Checks (key exists, CAS) run inside
the transaction, so a batch that updates one key twice sees its own first write.

Durability: the database runs in WAL mode with synchronous=NORMAL. A commit is a write()
of its frames to the WAL file before COMMIT returns; from then on the data is in the
kernel's page cache, which survives the death of this process (kill -9) even though it is
not yet fsynced. Only an OS crash or power loss can drop the last commits; pass
`durable_power_loss=True` (synchronous=FULL, one fsync per group commit) to cover that too.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .interface import (
    Event,
    EventType,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    RevisionMismatchError,
    StorageError,
    UnavailableError,
)

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS log_name_id ON log (name, id);
CREATE TABLE IF NOT EXISTS current (
    name TEXT PRIMARY KEY,
    mod_revision INTEGER NOT NULL,
    create_revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('revision', 0), ('compact_revision', 0);
"""

# Writes taken into one transaction at most; bounds the latency of the batch's first caller.
MAX_BATCH = 1000
# Log rows examined by one compaction step, so a step holds the write lock only briefly.
COMPACT_STEP_ROWS = 500

GET_CURRENT = (
    "SELECT c.mod_revision, c.create_revision, l.value FROM current c "
    "JOIN log l ON l.id = c.mod_revision WHERE c.name = ?"
)
INSERT_LOG = "INSERT INTO log VALUES (?, ?, ?, ?, ?, ?)"


def connect(path: str, *, durable_power_loss: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (we issue BEGIN/COMMIT ourselves) tuned for the log."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durable_power_loss else 'NORMAL'}")
    conn.execute("PRAGMA cache_size = -65536")  # 64 MiB of page cache per connection
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def init_schema(path: str) -> tuple[int, int]:
    """Create the tables if needed; returns (revision, compact_revision) as persisted."""
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA)
        meta = dict(conn.execute("SELECT name, value FROM meta"))
        (newest,) = conn.execute("SELECT COALESCE(MAX(id), 0) FROM log").fetchone()
        return max(meta["revision"], newest), meta["compact_revision"]
    finally:
        conn.close()


def persisted_compact_revision(path: str) -> int:
    """The compact revision written in the file at `path`, read on a read-only connection
    that does not disturb a store using it (for tests and tools watching a running server)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (value,) = conn.execute("SELECT value FROM meta WHERE name = 'compact_revision'").fetchone()
        return int(value)
    finally:
        conn.close()


def read_current(conn: sqlite3.Connection, key: str) -> KeyValue | None:
    row = conn.execute(GET_CURRENT, (key,)).fetchone()
    return None if row is None else KeyValue(key, row[2], row[1], row[0])


class _Tx:
    """One group-commit transaction: the connection and the revision counter."""

    __slots__ = ("conn", "revision")

    def __init__(self, conn: sqlite3.Connection, revision: int) -> None:
        self.conn = conn
        self.revision = revision

    def next_revision(self) -> int:
        self.revision += 1
        return self.revision

    def live(self, key: str, expected_revision: int) -> KeyValue:
        """The key's current value, checked against the caller's expected mod_revision."""
        current = read_current(self.conn, key)
        if current is None:
            raise KeyNotFoundError(key)
        if expected_revision and current.mod_revision != expected_revision:
            raise RevisionMismatchError(key, current)
        return current


@dataclass(slots=True)
class Create:
    key: str
    value: bytes

    def apply(self, tx: _Tx) -> tuple[KeyValue, Event]:
        if tx.conn.execute("SELECT 1 FROM current WHERE name = ?", (self.key,)).fetchone():
            raise KeyExistsError(self.key)
        rev = tx.next_revision()
        tx.conn.execute(INSERT_LOG, (rev, self.key, rev, 0, 0, self.value))
        tx.conn.execute("INSERT INTO current VALUES (?, ?, ?)", (self.key, rev, rev))
        kv = KeyValue(self.key, self.value, rev, rev)
        return kv, Event(EventType.PUT, kv)


@dataclass(slots=True)
class Update:
    key: str
    value: bytes
    expected_revision: int

    def apply(self, tx: _Tx) -> tuple[KeyValue, Event]:
        prev = tx.live(self.key, self.expected_revision)
        rev = tx.next_revision()
        tx.conn.execute(INSERT_LOG, (rev, self.key, prev.create_revision, prev.mod_revision, 0, self.value))
        tx.conn.execute("UPDATE current SET mod_revision = ? WHERE name = ?", (rev, self.key))
        kv = KeyValue(self.key, self.value, prev.create_revision, rev)
        return kv, Event(EventType.PUT, kv, prev)


@dataclass(slots=True)
class Delete:
    key: str
    expected_revision: int

    def apply(self, tx: _Tx) -> tuple[KeyValue, Event]:
        prev = tx.live(self.key, self.expected_revision)
        rev = tx.next_revision()
        tx.conn.execute(INSERT_LOG, (rev, self.key, prev.create_revision, prev.mod_revision, 1, prev.value))
        tx.conn.execute("DELETE FROM current WHERE name = ?", (self.key,))
        kv = KeyValue(self.key, prev.value, prev.create_revision, rev)
        return kv, Event(EventType.DELETE, kv, prev)


@dataclass(slots=True)
class SetCompactRevision:
    revision: int

    def apply(self, tx: _Tx) -> tuple[None, None]:
        tx.conn.execute(
            "UPDATE meta SET value = ? WHERE name = 'compact_revision' AND value < ?",
            (self.revision, self.revision),
        )
        return None, None


@dataclass(slots=True)
class CompactStep:
    """Delete, among the next rows from `cursor`, those no read at `revision` can see.

    A row below `revision` is invisible there when it is a tombstone or when a newer row of
    the same key is also below `revision`. Keeping the newest row *below* the compact
    revision (not at or below) keeps the `prev` of every event from `revision` on.
    Returns the cursor for the next step, or 0 when done.
    """

    revision: int
    cursor: int

    def apply(self, tx: _Tx) -> tuple[int, None]:
        row = tx.conn.execute(
            "SELECT id FROM log WHERE id >= ? AND id < ? ORDER BY id LIMIT 1 OFFSET ?",
            (self.cursor, self.revision, COMPACT_STEP_ROWS),
        ).fetchone()
        upper = row[0] if row else self.revision
        tx.conn.execute(
            "DELETE FROM log WHERE id >= ?1 AND id < ?2 AND (deleted = 1 OR EXISTS ("
            "  SELECT 1 FROM log AS newer"
            "  WHERE newer.name = log.name AND newer.id > log.id AND newer.id < ?3))",
            (self.cursor, upper, self.revision),
        )
        return (upper if row else 0), None


Op = Create | Update | Delete | SetCompactRevision | CompactStep
# (future, outcome) pairs: the outcome is a result value or the StorageError to raise.
Outcomes = list[tuple[Any, Any]]
OnCommit = Callable[[Outcomes, list[Event], int], None]


class LogWriter:
    """The single writer: a thread that applies queued ops in group-committed batches.

    `submit` may be called from any thread. `on_commit(outcomes, events, revision)` runs on
    the writer thread after each commit (or failed batch); it must hand off quickly.
    """

    def __init__(
        self, path: str, revision: int, on_commit: OnCommit, *, durable_power_loss: bool = False
    ) -> None:
        self._path = path
        self._revision = revision
        self._on_commit = on_commit
        self._durable_power_loss = durable_power_loss
        self._queue: queue.SimpleQueue[tuple[Op, Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="kubelite-sqlite-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, op: Op, future: Any) -> None:
        self._queue.put((op, future))

    def stop(self) -> None:
        """Finish what is queued, then end the thread (blocks until it has)."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        conn = connect(self._path, durable_power_loss=self._durable_power_loss)
        try:
            while True:
                batch, stopping = self._take_batch()
                if batch:
                    self._commit(conn, batch)
                if stopping:
                    return
        finally:
            conn.close()

    def _take_batch(self) -> tuple[list[tuple[Op, Any]], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _commit(self, conn: sqlite3.Connection, batch: list[tuple[Op, Any]]) -> None:
        tx = _Tx(conn, self._revision)
        outcomes: Outcomes = []
        events: list[Event] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op, future in batch:
                try:
                    result, event = op.apply(tx)
                except StorageError as err:
                    outcomes.append((future, err))
                    continue
                outcomes.append((future, result))
                if event is not None:
                    events.append(event)
            if tx.revision != self._revision:
                conn.execute("UPDATE meta SET value = ? WHERE name = 'revision'", (tx.revision,))
            conn.execute("COMMIT")
        except Exception as err:  # a failed batch must not kill the only writer
            log.exception("SQLite write batch failed", extra={"batch_size": len(batch)})
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            failure = UnavailableError(f"sqlite write failed: {err}")
            outcomes = [(future, failure) for _, future in batch]
            events = []
            tx.revision = self._revision
        self._revision = tx.revision
        self._on_commit(outcomes, events, tx.revision)
