"""The storage contract (kubelite/storage/interface.py), run on every backend.

Each test runs once on SQLite and once on a real etcd (see conftest.py). Keys live under
`backend.ns`, so tests never see each other's data.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from kubelite.storage.interface import (
    CompactedError,
    Event,
    EventType,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    RevisionMismatchError,
    Store,
)
from kubelite.storage.sqlite import SQLiteStore

if TYPE_CHECKING:
    from conftest import Backend

TIMEOUT = 10


class Tail:
    """Reads a watch without ever cancelling a pending `anext` (that would end the watch)."""

    def __init__(self, events: AsyncIterator[Event]) -> None:
        self.events = events
        self._next: asyncio.Task[Event] | None = None

    def _pending(self) -> asyncio.Task[Event]:
        if self._next is None:
            self._next = asyncio.ensure_future(anext(self.events))
        return self._next

    async def take(self, n: int) -> list[Event]:
        """The next `n` events (failing the test if they do not come in time)."""
        got = []
        for _ in range(n):
            done, _ = await asyncio.wait([self._pending()], timeout=TIMEOUT)
            assert done, f"only {len(got)} of {n} events came"
            self._next = None
            got.append(done.pop().result())
        return got

    async def nothing_more(self) -> None:
        done, _ = await asyncio.wait([self._pending()], timeout=0.2)
        assert not done, f"unexpected: {done.pop().result()}"

    async def aclose(self) -> None:
        if self._next is not None:
            self._next.cancel()  # ends the watch
            await asyncio.wait([self._next])
            if not self._next.cancelled():
                self._next.exception()
        await self.events.aclose()


async def create_many(store: Store, keys: list[str]) -> list[KeyValue]:
    return [await store.create(key, key.encode()) for key in keys]


# -- revisions and writes ------------------------------------------------------------------


async def test_revision_only_grows_and_is_shared_across_keys(store: Store, backend: Backend):
    start = await store.current_revision()
    a = await store.create(backend.ns + "a", b"1")
    b = await store.create(backend.ns + "b", b"1")
    a2 = await store.update(backend.ns + "a", b"2", expected_revision=a.mod_revision)
    gone = await store.delete(backend.ns + "b")
    assert [a.mod_revision, b.mod_revision, a2.mod_revision, gone.mod_revision] == [
        start + 1,
        start + 2,
        start + 3,
        start + 4,
    ]
    assert await store.current_revision() == start + 4
    assert (a.create_revision, a2.create_revision) == (start + 1, start + 1)


async def test_create_fails_on_a_live_key_and_succeeds_again_after_delete(store: Store, backend: Backend):
    key = backend.ns + "k"
    first = await store.create(key, b"v1")
    with pytest.raises(KeyExistsError) as err:
        await store.create(key, b"other")
    assert err.value.key == key
    await store.delete(key, expected_revision=first.mod_revision)
    second = await store.create(key, b"v2")
    assert second.create_revision == second.mod_revision > first.mod_revision
    assert await store.get(key) == second


async def test_update_is_compare_and_swap_on_mod_revision(store: Store, backend: Backend):
    key = backend.ns + "k"
    created = await store.create(key, b"v1")
    updated = await store.update(key, b"v2", expected_revision=created.mod_revision)
    assert updated == KeyValue(key, b"v2", created.create_revision, updated.mod_revision)

    with pytest.raises(RevisionMismatchError) as err:
        await store.update(key, b"stale", expected_revision=created.mod_revision)
    assert err.value.current == updated
    with pytest.raises(KeyNotFoundError):
        await store.update(backend.ns + "missing", b"v", expected_revision=created.mod_revision)
    assert await store.get(key) == updated

    forced = await store.update(key, b"v3", expected_revision=0)
    assert forced.value == b"v3" and forced.mod_revision > updated.mod_revision
    with pytest.raises(KeyNotFoundError):
        await store.update(backend.ns + "missing", b"v", expected_revision=0)


async def test_delete_returns_the_last_value_at_the_deletion_revision(store: Store, backend: Backend):
    key = backend.ns + "k"
    created = await store.create(key, b"v1")
    updated = await store.update(key, b"v2", expected_revision=created.mod_revision)
    with pytest.raises(RevisionMismatchError) as err:
        await store.delete(key, expected_revision=created.mod_revision)
    assert err.value.current == updated

    deleted = await store.delete(key, expected_revision=updated.mod_revision)
    assert deleted.value == b"v2"
    assert deleted.create_revision == created.create_revision
    assert deleted.mod_revision == await store.current_revision() > updated.mod_revision
    assert await store.get(key) is None
    with pytest.raises(KeyNotFoundError):
        await store.delete(key)
    with pytest.raises(KeyNotFoundError):
        await store.delete(key, expected_revision=deleted.mod_revision)


async def test_get_reads_the_newest_and_older_revisions(store: Store, backend: Backend):
    key = backend.ns + "k"
    v1 = await store.create(key, b"v1")
    v2 = await store.update(key, b"v2", expected_revision=v1.mod_revision)
    deleted = await store.delete(key)
    assert await store.get(key) is None
    assert await store.get(key, revision=v1.mod_revision) == v1
    assert await store.get(key, revision=v2.mod_revision) == v2
    assert await store.get(key, revision=deleted.mod_revision) is None
    assert await store.get(key, revision=v1.mod_revision - 1) is None
    with pytest.raises(FutureRevisionError):
        await store.get(key, revision=deleted.mod_revision + 100)


async def test_concurrent_writes_are_all_acknowledged_with_distinct_revisions(store: Store, backend: Backend):
    keys = [f"{backend.ns}{i:03}" for i in range(200)]
    created = await asyncio.gather(*(store.create(k, b"v") for k in keys))
    updated = await asyncio.gather(
        *(store.update(kv.key, b"w", expected_revision=kv.mod_revision) for kv in created)
    )
    revisions = [kv.mod_revision for kv in created + updated]
    assert len(set(revisions)) == 400
    assert max(revisions) == await store.current_revision()
    listed = await store.list(backend.ns)
    assert listed.kvs == sorted(updated, key=lambda kv: kv.key)


async def test_concurrent_updates_of_one_key_let_exactly_one_win(store: Store, backend: Backend):
    created = await store.create(backend.ns + "k", b"v")
    results = await asyncio.gather(
        *(store.update(created.key, b"%d" % i, expected_revision=created.mod_revision) for i in range(20)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, KeyValue)]
    assert len(winners) == 1
    assert all(
        isinstance(r, RevisionMismatchError) and r.current == winners[0]
        for r in results
        if r is not winners[0]
    )


# -- list ----------------------------------------------------------------------------------


async def test_list_returns_live_keys_under_the_prefix_in_key_order(store: Store, backend: Backend):
    ns = backend.ns
    await create_many(store, [ns + "pods/b", ns + "pods/a", ns + "pods/c", ns + "podsx", ns + "svc/a"])
    await store.delete(ns + "pods/c")
    result = await store.list(ns + "pods/")
    assert [kv.key for kv in result.kvs] == [ns + "pods/a", ns + "pods/b"]
    assert result.revision == await store.current_revision()
    assert (result.count, result.more) == (2, False)
    assert [kv.value for kv in result.kvs] == [b"%spods/a" % ns.encode(), b"%spods/b" % ns.encode()]


async def test_list_pages_through_a_snapshot_while_writes_continue(store: Store, backend: Backend):
    ns = backend.ns
    keys = [f"{ns}{i:02}" for i in range(25)]
    await create_many(store, keys)
    first = await store.list(ns, limit=10)
    assert [kv.key for kv in first.kvs] == keys[:10]
    assert (first.count, first.more) == (25, True)

    # Writes after the snapshot: an update, a delete, and a new key.
    victim = await store.get(keys[15])
    await store.update(keys[12], b"new", expected_revision=(await store.get(keys[12])).mod_revision)
    await store.delete(keys[15], expected_revision=victim.mod_revision)
    await store.create(f"{ns}99", b"late")

    pages, start = [first], keys[10]
    while pages[-1].more:
        page = await store.list(ns, revision=first.revision, limit=10, start_key=start)
        assert page.revision == first.revision
        pages.append(page)
        if page.kvs:
            start = page.kvs[-1].key + "\0"
    seen = [kv for page in pages for kv in page.kvs]
    assert [kv.key for kv in seen] == keys
    assert all(kv.value == kv.key.encode() for kv in seen)
    assert pages[1].count == 15 and pages[2].count == 5 and not pages[2].more

    now = await store.list(ns)
    assert now.count == 25 and now.revision == first.revision + 3


async def test_list_at_an_old_revision_sees_deleted_keys_and_old_values(store: Store, backend: Backend):
    ns = backend.ns
    a, b = await create_many(store, [ns + "a", ns + "b"])
    before = await store.current_revision()
    await store.update(ns + "a", b"changed", expected_revision=a.mod_revision)
    await store.delete(ns + "b")
    await store.create(ns + "c", b"c")
    old = await store.list(ns, revision=before)
    assert old.kvs == [a, b] and old.revision == before and old.count == 2
    with pytest.raises(FutureRevisionError):
        await store.list(ns, revision=before + 1000)


# -- watch ---------------------------------------------------------------------------------


async def test_watch_from_now_sees_later_writes_with_prev(store: Store, backend: Backend):
    ns = backend.ns
    old = await store.create(ns + "old", b"x")
    events = Tail(store.watch(ns, start_revision=await store.current_revision() + 1))
    try:
        await events.nothing_more()  # the write before the start revision is not seen
        created = await store.create(ns + "k", b"v1")
        updated = await store.update(ns + "k", b"v2", expected_revision=created.mod_revision)
        deleted = await store.delete(ns + "old")
        got = await events.take(3)
        assert got == [
            Event(EventType.PUT, created),
            Event(EventType.PUT, updated, prev=created),
            Event(EventType.DELETE, deleted, prev=old),
        ]
        assert [e.revision for e in got] == [created.mod_revision, updated.mod_revision, deleted.mod_revision]
    finally:
        await events.aclose()


async def test_watch_from_a_past_revision_replays_then_goes_live_without_gaps(store: Store, backend: Backend):
    ns = backend.ns
    start = await store.current_revision() + 1
    stop = asyncio.Event()

    async def writer() -> None:
        # Creates, updates and deletes, before and while the watch is running.
        i = 0
        while not stop.is_set() and i < 400:
            kv = await store.create(f"{ns}{i}", b"a")
            kv = await store.update(kv.key, b"b", expected_revision=kv.mod_revision)
            if i % 3 == 0:
                await store.delete(kv.key, expected_revision=kv.mod_revision)
            i += 1

    task = asyncio.create_task(writer())
    while await store.current_revision() < start + 60:
        await asyncio.sleep(0.01)
    events = Tail(store.watch(ns, start_revision=start))
    try:
        got = await events.take(300)
    finally:
        stop.set()
        await task
        await events.aclose()
    assert [e.revision for e in got] == list(range(start, start + 300))
    latest: dict[str, KeyValue] = {}
    for event in got:
        if event.kv.create_revision == event.revision:
            assert event.type is EventType.PUT and event.prev is None
        else:
            assert event.prev == latest[event.kv.key]
        if event.type is EventType.DELETE:
            assert event.kv.value == event.prev.value == b"b"
        latest[event.kv.key] = event.kv


async def test_concurrent_watchers_see_only_their_prefix(store: Store, backend: Backend):
    ns = backend.ns
    rev = await store.current_revision() + 1
    watches = {
        name: Tail(store.watch(ns + name + "/", start_revision=rev)) for name in ("pods", "services", "nodes")
    }
    whole = Tail(store.watch(ns, start_revision=rev))
    try:
        written = await asyncio.gather(
            *(
                store.create(f"{ns}{name}/{i}", b"v")
                for i in range(10)
                for name in ("pods", "services", "nodes")
            )
        )
        in_order = sorted(written, key=lambda kv: kv.mod_revision)
        for name, events in watches.items():
            got = await events.take(10)
            assert [e.kv for e in got] == [kv for kv in in_order if kv.key.startswith(ns + name + "/")]
            await events.nothing_more()
        assert [e.kv for e in await whole.take(30)] == in_order
    finally:
        for events in [*watches.values(), whole]:
            await events.aclose()


async def test_close_ends_pending_watches(backend: Backend):
    store = await backend.open()
    events = store.watch(backend.ns, start_revision=await store.current_revision() + 1)
    # An event read shows the watch established; the read after it is the pending one.
    marker = await store.create(backend.ns + "marker", b"v")
    assert (await asyncio.wait_for(anext(events), TIMEOUT)).kv == marker
    pending = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)  # the read begins, and waits
    assert not pending.done()
    await store.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, TIMEOUT)


# -- compaction ----------------------------------------------------------------------------


async def test_compaction_forgets_old_history_and_keeps_newest_values(store: Store, backend: Backend):
    ns = backend.ns
    a = await store.create(ns + "a", b"1")
    old = await store.current_revision()
    a = await store.update(ns + "a", b"2", expected_revision=a.mod_revision)
    gone = await store.create(ns + "gone", b"x")
    await store.delete(ns + "gone")
    keep = await store.create(ns + "keep", b"k")  # newest row is older than the compaction
    compact_at = await store.update(ns + "a", b"3", expected_revision=a.mod_revision)
    last = await store.update(ns + "a", b"4", expected_revision=compact_at.mod_revision)
    await store.compact(compact_at.mod_revision)

    assert await store.compact_revision() == compact_at.mod_revision
    with pytest.raises(CompactedError) as err:
        await store.get(ns + "a", revision=old)
    assert err.value.compacted == compact_at.mod_revision
    with pytest.raises(CompactedError):
        await store.list(ns, revision=gone.mod_revision)
    events = store.watch(ns, start_revision=old)
    with pytest.raises(CompactedError):
        await asyncio.wait_for(anext(events), TIMEOUT)

    assert (await store.list(ns)).kvs == [last, keep]
    assert (await store.list(ns, revision=compact_at.mod_revision)).kvs == [compact_at, keep]
    assert await store.get(ns + "keep", revision=compact_at.mod_revision) == keep
    replay = Tail(store.watch(ns, start_revision=compact_at.mod_revision))
    try:
        at, after = await replay.take(2)
        # The event at the compact revision itself may have lost its prev (etcd drops it).
        assert at.kv == compact_at and at.prev in (a, None)
        assert after == Event(EventType.PUT, last, prev=compact_at)
    finally:
        await replay.aclose()


async def test_compaction_is_idempotent_and_refuses_the_future(store: Store, backend: Backend):
    await create_many(store, [backend.ns + "a", backend.ns + "b"])
    rev = await store.current_revision()
    await store.compact(rev)
    await store.compact(rev)
    await store.compact(rev - 1)
    assert await store.compact_revision() == rev
    with pytest.raises(FutureRevisionError):
        await store.compact(rev + 100)


# -- restarts and durability ---------------------------------------------------------------


async def test_restart_keeps_data_compaction_and_revision_keeps_growing(store: Store, backend: Backend):
    ns = backend.ns
    kvs = await create_many(store, [ns + "a", ns + "b", ns + "c"])
    deleted = await store.delete(ns + "c")
    await store.compact(kvs[2].mod_revision)
    rev = await store.current_revision()

    store = await backend.restart(store)
    assert await store.current_revision() == rev
    assert await store.compact_revision() == kvs[2].mod_revision
    assert (await store.list(ns)).kvs == kvs[:2]
    assert await store.get(ns + "c", revision=deleted.mod_revision - 1) == kvs[2]
    created = await store.create(ns + "c", b"again")
    assert created.mod_revision == rev + 1


async def test_revisions_are_never_reused_after_compacting_deleted_keys(store: Store, backend: Backend):
    kv = await store.create(backend.ns + "a", b"1")
    gone = await store.delete(backend.ns + "a", expected_revision=kv.mod_revision)
    marker = await store.create(backend.ns + "marker", b"m")
    await store.compact(marker.mod_revision)
    store = await backend.restart(store)
    again = await store.create(backend.ns + "a", b"2")
    assert again.mod_revision == marker.mod_revision + 1 > gone.mod_revision


WRITER = textwrap.dedent("""
    import asyncio, sys
    from kubelite.storage import open_store

    async def main(url, ns):
        store = open_store(url)
        await store.start()
        async def worker(w):
            for i in range(100_000):
                kv = await store.create(f"{ns}{w}-{i}", b"x" * 200)
                print(kv.key, flush=True)
        await asyncio.gather(*(worker(w) for w in range(8)))

    asyncio.run(main(sys.argv[1], sys.argv[2]))
""")


async def test_acknowledged_writes_survive_kill_9_of_the_writer(backend: Backend):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, backend.url, backend.ns, stdout=asyncio.subprocess.PIPE
    )
    acknowledged: list[str] = []
    try:
        while len(acknowledged) < 300:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "the writer died before it was killed"
            acknowledged.append(line.decode().strip())
    finally:
        proc.send_signal(signal.SIGKILL)
        rest, _ = await proc.communicate()
    acknowledged += rest.decode().split()  # printed before the kill: acknowledged too

    store = await backend.open()
    listed = await store.list(backend.ns)
    assert set(acknowledged) <= {kv.key for kv in listed.kvs}


# -- SQLite specifics ----------------------------------------------------------------------


async def test_sqlite_watcher_that_falls_behind_catches_up_from_the_log(tmp_path):
    store = SQLiteStore(str(tmp_path / "state.db"), watch_buffer=5)
    await store.start()
    try:
        events = Tail(store.watch("/", start_revision=0))
        await events.nothing_more()
        written = await asyncio.gather(*(store.create(f"/k{i}", b"v") for i in range(200)))
        written += await asyncio.gather(*(store.create(f"/k{i}b", b"v") for i in range(50)))
        got = await events.take(250)
        assert [e.kv for e in got] == sorted(written, key=lambda kv: kv.mod_revision)
        await events.aclose()
    finally:
        await store.close()
