"""A shared informer without a server: relists and resyncs, in virtual time
(kubelite.client.informer)."""

from __future__ import annotations

import asyncio

from kubelite.client import Handlers, SharedInformer
from kubelite.client.resource import ResourceClient, find_resource
from kubelite.util.clock import FakeClock


def _pod(name, uid="", rv="1", owner=None):
    meta = {"name": name, "namespace": "ns", "resourceVersion": rv}
    if owner:
        meta["ownerReferences"] = [{"uid": owner}]
    return {"metadata": meta, "spec": {}}


async def test_relist_reports_vanished_objects_and_resync_redelivers_everything():
    clock = FakeClock()
    informer = SharedInformer(ResourceClient(None, find_resource("pods")), clock=clock)  # type: ignore[arg-type]
    seen: list[tuple[str, str]] = []
    informer.add_event_handler(
        Handlers(
            add=lambda o: seen.append(("add", o["metadata"]["name"])),
            update=lambda o, n: seen.append(("update", n["metadata"]["name"])),
            delete=lambda o: seen.append(("delete", o["metadata"]["name"])),
        ),
        resync_period=30,
    )
    informer.replace([_pod("a"), _pod("b")], "5")
    informer.replace([_pod("a", rv="6")], "6")
    assert seen == [("add", "a"), ("add", "b"), ("update", "a"), ("delete", "b")]
    seen.clear()
    resync = asyncio.ensure_future(informer._resync_loop())
    await clock.advance(29)
    assert seen == []
    await clock.advance(2)
    assert seen == [("update", "a")]
    late: list[str] = []
    informer.add_event_handler(Handlers(add=lambda o: late.append(o["metadata"]["name"])))
    assert late == ["a"]
    resync.cancel()
