"""The storage contract every backend keeps (embedded SQLite, etcd v3).

The store is a versioned key-value map in the manner of etcd v3:

* One cluster-wide **revision** counts every write (create, update, delete) and only
  grows. The API server uses it as `metadata.resourceVersion`.
* Each key remembers `create_revision` (the write that created it) and `mod_revision`
  (the write that last changed it).
* `create` fails with `KeyExistsError` when the key is live; `update` and `delete` take the
  `mod_revision` they expect and fail with `RevisionMismatchError` (compare-and-swap).
* `list` reads a prefix at one consistent revision, in key order, with `limit` and a start
  key so callers can page through a snapshot.
* `watch` streams every change under a prefix after a given revision, in revision order,
  with no gaps, for as long as the caller reads; a revision older than the last compaction
  raises `CompactedError`.
* `compact(rev)` forgets history before `rev`: reads at `rev` or later still work, and the
  latest value of every live key is always kept (as in etcd).
* A write is acknowledged (the coroutine returns) only once it is durable against the
  process being killed.

Values are opaque bytes (the API server stores JSON). Keys are `str`, `/`-separated.

Errors::

    StorageError
    ├── KeyExistsError          create of a live key
    ├── KeyNotFoundError        update/delete/get of a missing key
    ├── RevisionMismatchError   CAS failed: the key's mod_revision is not the expected one
    ├── CompactedError          read or watch at a revision already compacted
    ├── FutureRevisionError     read at a revision the store has not reached
    └── UnavailableError        the backend cannot be reached
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


class StorageError(Exception):
    pass


class KeyExistsError(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key exists: {key}")
        self.key = key


class KeyNotFoundError(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key not found: {key}")
        self.key = key


class RevisionMismatchError(StorageError):
    """CAS failed; `current` is the key's present value (None if it was deleted)."""

    def __init__(self, key: str, current: KeyValue | None) -> None:
        super().__init__(f"revision mismatch: {key}")
        self.key = key
        self.current = current


class CompactedError(StorageError):
    def __init__(self, requested: int, compacted: int) -> None:
        super().__init__(f"revision {requested} has been compacted (compact revision {compacted})")
        self.requested = requested
        self.compacted = compacted


class FutureRevisionError(StorageError):
    def __init__(self, requested: int, current: int) -> None:
        super().__init__(f"revision {requested} is in the future (current {current})")
        self.requested = requested
        self.current = current


class UnavailableError(StorageError):
    pass


@dataclass(slots=True, frozen=True)
class KeyValue:
    key: str
    value: bytes
    create_revision: int
    mod_revision: int


class EventType(enum.Enum):
    PUT = "PUT"  # create or update; `prev` is None for a create
    DELETE = "DELETE"  # `kv.value` is the last value; `kv.mod_revision` the deletion's revision


@dataclass(slots=True, frozen=True)
class Event:
    """One change. `prev` is the key's value before it; None for a create, and possibly
    None for the event at exactly the compact revision (etcd compacts that prev away)."""

    type: EventType
    kv: KeyValue
    prev: KeyValue | None = None

    @property
    def revision(self) -> int:
        return self.kv.mod_revision


@dataclass(slots=True, frozen=True)
class ListResult:
    kvs: list[KeyValue]
    revision: int  # the snapshot the list was read at
    more: bool  # more keys under the prefix after the last one returned
    count: int  # number of keys under the prefix at or after the start key


class Store(Protocol):
    """A versioned key-value store. All methods are safe to call concurrently."""

    async def start(self) -> None:
        """Open the backend; idempotent."""

    async def close(self) -> None:
        """Release resources; pending watches end. Idempotent."""

    async def current_revision(self) -> int:
        """The newest revision the store has acknowledged (a linearizable read)."""

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        """The key at `revision` (0 = newest), or None if absent then."""

    async def create(self, key: str, value: bytes) -> KeyValue:
        """Create `key`; KeyExistsError if it is live. Returns the stored KeyValue."""

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> KeyValue:
        """Replace `key` if its mod_revision is `expected_revision`.

        KeyNotFoundError if absent; RevisionMismatchError (carrying the current value) if
        the revision differs. `expected_revision=0` replaces whatever value is live.
        """

    async def delete(self, key: str, *, expected_revision: int = 0) -> KeyValue:
        """Delete `key` (CAS when `expected_revision` is non-zero).

        Returns the deleted KeyValue whose `mod_revision` is the deletion's revision and
        whose value is the last value. KeyNotFoundError / RevisionMismatchError as update.
        """

    async def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_key: str = ""
    ) -> ListResult:
        """Live keys under `prefix` at `revision` (0 = newest), in key order.

        `start_key` (inclusive) resumes a paged read; `limit` 0 means all.
        CompactedError if `revision` is below the compact revision; FutureRevisionError if
        it is ahead of the store.
        """

    def watch(self, prefix: str, *, start_revision: int) -> AsyncIterator[Event]:
        """Every change under `prefix` with revision >= `start_revision`, in order.

        The iterator runs until the caller stops it (aclose / cancellation).
        CompactedError (raised from the iterator) if `start_revision` is below the compact
        revision.
        """

    async def compact(self, revision: int) -> None:
        """Forget history before `revision`; idempotent for older revisions."""

    async def compact_revision(self) -> int:
        """The revision of the last compaction (0 if none)."""
