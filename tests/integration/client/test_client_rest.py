"""The async client against a real API server: verbs, patches, subresources, errors, paging."""

from __future__ import annotations

import pytest

from kubelite.api.errors import AlreadyExists, Conflict, Gone, Invalid, NotFound, is_not_found
from kubelite.client import Client, PatchType, load_kubeconfig
from kubelite.client.config import ClientConfig


@pytest.fixture
async def client(cluster):
    async with Client(load_kubeconfig(cluster.kubeconfig).with_rate_limits(500, 1000)) as c:
        yield c


async def _namespace(client: Client, name: str) -> None:
    try:
        await client.resource("namespaces").create({"metadata": {"name": name}})
    except AlreadyExists:
        pass


async def test_every_verb_round_trips_and_errors_carry_their_status(client):
    await _namespace(client, "cl-verbs")
    cms = client.resource("configmaps")
    made = await cms.create({"metadata": {"name": "a"}, "data": {"k": "1"}}, namespace="cl-verbs")
    assert made["metadata"]["resourceVersion"]
    with pytest.raises(AlreadyExists) as exc:
        await cms.create({"metadata": {"name": "a"}}, namespace="cl-verbs")
    assert exc.value.code == 409 and exc.value.details["name"] == "a"

    got = await cms.get("a", namespace="cl-verbs")
    stale = dict(got, data={"k": "2"})
    await cms.update(stale)
    with pytest.raises(Conflict):
        await cms.update(dict(got, data={"k": "3"}))

    merged = await cms.patch("a", {"data": {"m": "x"}}, namespace="cl-verbs")
    assert merged["data"] == {"k": "2", "m": "x"}
    jsonp = await cms.patch(
        "a", [{"op": "remove", "path": "/data/m"}], patch_type=PatchType.JSON, namespace="cl-verbs"
    )
    assert jsonp["data"] == {"k": "2"}
    smp = await cms.patch("a", {"data": {"s": "y"}}, patch_type=PatchType.STRATEGIC, namespace="cl-verbs")
    assert smp["data"]["s"] == "y"

    with pytest.raises(Invalid) as bad:
        await cms.create({"metadata": {"name": "Not_Valid"}}, namespace="cl-verbs")
    assert bad.value.details["causes"]

    await cms.delete("a", namespace="cl-verbs")
    with pytest.raises(NotFound) as missing:
        await cms.get("a", namespace="cl-verbs")
    assert is_not_found(missing.value)


async def test_status_and_scale_subresources(client):
    await _namespace(client, "cl-sub")
    deps = client.resource("deployments", group="apps")
    dep = {
        "metadata": {"name": "d", "labels": {"app": "d"}},
        "spec": {
            "selector": {"matchLabels": {"app": "d"}},
            "replicas": 1,
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }
    await deps.create(dep, namespace="cl-sub")
    status = await deps.patch(
        "d", {"status": {"replicas": 1, "observedGeneration": 1}}, namespace="cl-sub", subresource="status"
    )
    assert status["status"]["replicas"] == 1
    scale = await deps.get("d", namespace="cl-sub", subresource="scale")
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 1
    scale["spec"]["replicas"] = 3
    await deps.update(scale, namespace="cl-sub", subresource="scale")
    assert (await deps.get("d", namespace="cl-sub"))["spec"]["replicas"] == 3
    applied = await deps.patch(
        "d",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 4\n",
        patch_type=PatchType.APPLY,
        namespace="cl-sub",
        field_manager="test",
        force=True,
    )
    assert applied["spec"]["replicas"] == 4


async def test_list_follows_continue_tokens_across_pages(client):
    await _namespace(client, "cl-pages")
    cms = client.resource("configmaps")
    for i in range(7):
        await cms.create({"metadata": {"name": f"p{i}", "labels": {"page": "yes"}}}, namespace="cl-pages")
    pages = [p async for p in cms.pages(page_size=3, namespace="cl-pages", label_selector={"page": "yes"})]
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    items, rv = await cms.list_all(page_size=2, namespace="cl-pages")
    assert sorted(i["metadata"]["name"] for i in items) == [f"p{i}" for i in range(7)] and int(rv) > 0


async def test_watch_streams_events_and_an_old_version_is_gone(client, fresh_cluster):
    await _namespace(client, "cl-watch")
    cms = client.resource("configmaps")
    start = (await cms.list(namespace="cl-watch"))["metadata"]["resourceVersion"]
    await cms.create({"metadata": {"name": "w"}}, namespace="cl-watch")
    async with cms.watch(namespace="cl-watch", resource_version=start, timeout_seconds=5) as events:
        first = await anext(events)
    assert first.type.value == "ADDED" and first.object["metadata"]["name"] == "w"

    async with Client(load_kubeconfig(fresh_cluster.kubeconfig)) as fresh:
        fcms = fresh.resource("configmaps")
        made = await fcms.create({"metadata": {"name": "old"}}, namespace="default")
        fresh_cluster.restart()
        with pytest.raises(Gone):
            async with fcms.watch(
                namespace="default", resource_version=str(int(made["metadata"]["resourceVersion"]) - 1)
            ) as ev:
                await anext(ev)


async def test_bearer_token_authenticates_without_a_client_certificate(cluster):
    full = load_kubeconfig(cluster.kubeconfig)
    token = (cluster.data_dir / "tokens.csv").read_text().split(",")[0]
    async with Client(ClientConfig(server=full.server, ca_data=full.ca_data, token=token)) as c:
        assert (await c.resource("namespaces").get("default"))["metadata"]["name"] == "default"
    async with Client(ClientConfig(server=full.server, ca_data=full.ca_data, token="wrong")) as c:
        with pytest.raises(Exception) as exc:
            await c.resource("namespaces").get("default")
        assert exc.value.code == 401
