"""Informers against a real API server: every change arrives, across restarts and 410s."""

from __future__ import annotations

from typing import Any

from kubelite.client import Client, Handlers, SharedInformerFactory, load_kubeconfig
from kubelite.client.store import NODE_NAME_INDEX, by_node_name
from kubelite.util.testing import wait_for_async


class Mirror:
    """What the handlers told us: name → resourceVersion, and every (name, rv) seen."""

    def __init__(self) -> None:
        self.state: dict[str, str] = {}
        self.seen: set[tuple[str, str]] = set()
        self.deleted: list[str] = []

    def handlers(self) -> Handlers:
        return Handlers(add=self._put, update=lambda old, new: self._put(new), delete=self._delete)

    def _put(self, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self.state[meta["name"]] = meta["resourceVersion"]
        self.seen.add((meta["name"], meta["resourceVersion"]))

    def _delete(self, obj: dict[str, Any]) -> None:
        self.state.pop(obj["metadata"]["name"], None)
        self.deleted.append(obj["metadata"]["name"])


async def _server_state(client: Client, ns: str) -> dict[str, str]:
    items, _ = await client.resource("configmaps").list_all(namespace=ns)
    return {i["metadata"]["name"]: i["metadata"]["resourceVersion"] for i in items}


async def _until_equal(mirror: Mirror, client: Client, ns: str) -> None:
    """Until the handlers have told the mirror what the server holds now."""
    want = await _server_state(client, ns)
    await wait_for_async(lambda: mirror.state == want, f"the informer to show {want}", interval=0.05)


async def _writes(client: Client, ns: str, prefix: str) -> list[tuple[str, str]]:
    cms = client.resource("configmaps")
    made = []
    for i in range(3):
        obj = await cms.create({"metadata": {"name": f"{prefix}{i}"}, "data": {"v": "0"}}, namespace=ns)
        made.append((f"{prefix}{i}", obj["metadata"]["resourceVersion"]))
    obj = await cms.patch(f"{prefix}0", {"data": {"v": "1"}}, namespace=ns)
    made.append((f"{prefix}0", obj["metadata"]["resourceVersion"]))
    await cms.delete(f"{prefix}2", namespace=ns)
    return made


async def test_informer_sees_every_change_across_a_restart_and_a_forced_410(fresh_cluster):
    config = load_kubeconfig(fresh_cluster.kubeconfig).with_rate_limits(1000, 1000)
    async with Client(config) as writer, Client(config) as reader:
        await writer.resource("namespaces").create({"metadata": {"name": "inf"}})
        factory = SharedInformerFactory(reader, namespace="inf")
        informer = factory.informer("configmaps")
        mirror = Mirror()
        informer.add_event_handler(mirror.handlers())
        factory.start()
        await factory.wait_for_cache_sync()

        made = await _writes(writer, "inf", "a")
        await _until_equal(mirror, writer, "inf")
        assert set(made) <= mirror.seen and mirror.deleted == ["a2"]

        # A restart: the watch breaks, the informer resumes from its resourceVersion.
        fresh_cluster.restart()
        made = await _writes(writer, "inf", "b")
        await _until_equal(mirror, writer, "inf")
        assert set(made) <= mirror.seen and mirror.deleted == ["a2", "b2"]
        assert informer.reflector.lists == 1

        # A forced 410: the informer is stopped while the store moves on, and the restarted
        # server's watch window begins after the informer's resourceVersion.
        await factory.shutdown()
        await _writes(writer, "inf", "c")
        await writer.resource("configmaps").delete("a1", namespace="inf")
        fresh_cluster.restart()
        factory.start()
        await _until_equal(mirror, writer, "inf")
        assert informer.reflector.lists == 2
        # a1 vanished while the informer was away: the re-list reports it deleted.
        assert mirror.deleted[-1] == "a1" and {"c0", "c1"} <= set(mirror.state)
        await factory.shutdown()


async def test_shared_factory_serves_one_informer_per_resource_with_indexes(cluster):
    config = load_kubeconfig(cluster.kubeconfig).with_rate_limits(1000, 1000)
    async with Client(config) as client:
        await client.resource("namespaces").create({"metadata": {"name": "inf-idx"}})
        pods = client.resource("pods")
        for name, node in (("p1", "n1"), ("p2", "n1"), ("p3", "n2")):
            await pods.create(
                {
                    "metadata": {"name": name},
                    "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]},
                },
                namespace="inf-idx",
            )
        factory = SharedInformerFactory(client, use_watch_list=True)
        first = factory.informer("pods", indexers={NODE_NAME_INDEX: by_node_name})
        assert factory.informer("pods") is first
        factory.start()
        await factory.wait_for_cache_sync()
        names = sorted(
            p["metadata"]["name"]
            for p in first.indexer.by_index(NODE_NAME_INDEX, "n1")
            if p["metadata"]["namespace"] == "inf-idx"
        )
        assert names == ["p1", "p2"]
        assert len(first.lister.list(namespace="inf-idx")) == 3
        assert first.lister.get("p3", "inf-idx")["spec"]["nodeName"] == "n2"
        await pods.delete("p3", namespace="inf-idx", grace_period_seconds=0)
        await wait_for_async(
            lambda: first.lister.get("p3", "inf-idx") is None, "p3 to leave the cache", timeout=10
        )
        assert first.indexer.by_index(NODE_NAME_INDEX, "n2") == [] or all(
            p["metadata"]["namespace"] != "inf-idx" for p in first.indexer.by_index(NODE_NAME_INDEX, "n2")
        )
        await factory.shutdown()
