"""The etcd watch read on its own thread (used by the watch cache) keeps the watch contract."""

from __future__ import annotations

import asyncio

from kubelite.storage.etcd import EtcdStore
from kubelite.storage.interface import EventType
from kubelite.storage.testing import EtcdServer


async def test_threaded_watch_replays_then_streams_every_event_in_order(etcd_server: EtcdServer):
    store = EtcdStore([etcd_server.endpoint])
    await store.start()
    try:
        ns = "/threaded-watch/"
        first = await store.create(ns + "a", b"1")
        stream = store.watch_threaded(ns, start_revision=first.mod_revision)
        got = []

        async def consume():
            async for ev in stream:
                got.append(ev)
                if len(got) == 201:
                    return

        task = asyncio.create_task(consume())
        kv = await store.update(ns + "a", b"2", expected_revision=first.mod_revision)
        for i in range(100):
            await store.create(f"{ns}k{i}", b"x")
        for i in range(99):
            await store.delete(f"{ns}k{i}")
        await asyncio.wait_for(task, 20)
        revs = [e.revision for e in got]
        assert revs == list(range(first.mod_revision, first.mod_revision + 201))
        assert got[0].type is EventType.PUT and got[0].prev is None
        assert got[1].prev is not None and got[1].prev.value == b"1" and got[1].kv == kv
        assert [e.type for e in got[102:]] == [EventType.DELETE] * 99
        assert all(e.kv.value == b"x" for e in got[102:])  # a delete carries the last value
    finally:
        await store.close()


async def test_threaded_watch_ends_quietly_when_the_store_closes(etcd_server: EtcdServer):
    store = EtcdStore([etcd_server.endpoint])
    await store.start()
    stream = store.watch_threaded("/threaded-close/", start_revision=await store.current_revision() + 1)
    # An event read shows the watch established; the read after it is the pending one.
    marker = await store.create("/threaded-close/marker", b"v")
    assert (await asyncio.wait_for(anext(stream), 10)).kv == marker
    task = asyncio.create_task(anext(stream, None))
    await asyncio.sleep(0)  # the read begins, and waits
    assert not task.done()
    await store.close()
    assert await asyncio.wait_for(task, 5) is None
