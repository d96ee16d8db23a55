"""Watch semantics on the wire: resourceVersion rules, bookmarks, watch-list, 410 Gone."""

from __future__ import annotations

import json
import ssl

import aiohttp

from kubelite.server.testing import LocalCluster


def _session(cluster: LocalCluster) -> aiohttp.ClientSession:
    pki = cluster.data_dir / "pki"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(pki / "admin.crt", pki / "admin.key")
    return aiohttp.ClientSession(cluster.url, connector=aiohttp.TCPConnector(ssl=ctx))


async def _events(resp: aiohttp.ClientResponse, count: int) -> list[dict]:
    out = []
    async for line in resp.content:
        if line.strip():
            out.append(json.loads(line))
            if len(out) == count:
                break
    return out


async def _create(s: aiohttp.ClientSession, ns: str, name: str) -> str:
    async with s.post(
        f"/api/v1/namespaces/{ns}/configmaps", json={"metadata": {"name": name}, "data": {"a": "1"}}
    ) as r:
        assert r.status == 201, await r.text()
        return (await r.json())["metadata"]["resourceVersion"]


async def test_watch_list_sends_state_then_an_initial_events_end_bookmark(cluster):
    async with _session(cluster) as s:
        async with s.post("/api/v1/namespaces", json={"metadata": {"name": "wl"}}) as r:
            assert r.status == 201
        await _create(s, "wl", "a")
        await _create(s, "wl", "b")
        params = {
            "watch": "true",
            "sendInitialEvents": "true",
            "allowWatchBookmarks": "true",
            "resourceVersionMatch": "NotOlderThan",
            "resourceVersion": "",
            "timeoutSeconds": "10",
        }
        async with s.get("/api/v1/namespaces/wl/configmaps", params=params) as r:
            assert r.status == 200
            evs = await _events(r, 3)
        assert [(e["type"], e["object"]["metadata"].get("name")) for e in evs[:2]] == [
            ("ADDED", "a"),
            ("ADDED", "b"),
        ]
        assert evs[2]["type"] == "BOOKMARK"
        assert evs[2]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
        assert evs[2]["object"]["kind"] == "ConfigMap"

        # Without resourceVersionMatch=NotOlderThan watch-list is refused with 422.
        params.pop("resourceVersionMatch")
        async with s.get("/api/v1/namespaces/wl/configmaps", params=params) as r:
            assert r.status == 422
            assert (await r.json())["reason"] == "Invalid"


async def test_watch_from_a_resource_version_replays_only_later_changes(cluster):
    async with _session(cluster) as s:
        async with s.post("/api/v1/namespaces", json={"metadata": {"name": "wr"}}) as r:
            assert r.status == 201
        rv1 = await _create(s, "wr", "first")
        await _create(s, "wr", "second")
        params = {"watch": "1", "resourceVersion": rv1, "timeoutSeconds": "5"}
        async with s.get("/api/v1/namespaces/wr/configmaps", params=params) as r:
            evs = await _events(r, 1)
        assert evs[0]["type"] == "ADDED" and evs[0]["object"]["metadata"]["name"] == "second"
        assert evs[0]["object"]["kind"] == "ConfigMap" and evs[0]["object"]["apiVersion"] == "v1"


async def test_timeout_seconds_ends_the_stream(cluster):
    async with _session(cluster) as s:
        params = {
            "watch": "true",
            "resourceVersion": "0",
            "timeoutSeconds": "1",
            "fieldSelector": "metadata.name=nothing-here",
        }
        async with s.get("/api/v1/namespaces/default/configmaps", params=params) as r:
            body = await r.read()
        assert body == b""


async def test_label_selector_turns_a_change_out_of_the_selector_into_deleted(cluster):
    async with _session(cluster) as s:
        async with s.post("/api/v1/namespaces", json={"metadata": {"name": "wsel"}}) as r:
            assert r.status == 201
        async with s.post(
            "/api/v1/namespaces/wsel/configmaps", json={"metadata": {"name": "x", "labels": {"app": "a"}}}
        ) as r:
            rv = (await r.json())["metadata"]["resourceVersion"]
        params = {"watch": "true", "resourceVersion": rv, "labelSelector": "app=a", "timeoutSeconds": "5"}
        async with s.get("/api/v1/namespaces/wsel/configmaps", params=params) as r:
            async with s.patch(
                "/api/v1/namespaces/wsel/configmaps/x",
                data=json.dumps({"metadata": {"labels": {"app": "b"}}}),
                headers={"Content-Type": "application/merge-patch+json"},
            ) as p:
                assert p.status == 200
            evs = await _events(r, 1)
        assert evs[0]["type"] == "DELETED" and evs[0]["object"]["metadata"]["labels"] == {"app": "b"}


async def test_watch_from_before_the_cache_window_is_410_gone(fresh_cluster):
    async with _session(fresh_cluster) as s:
        rv = await _create(s, "default", "old")
    fresh_cluster.restart()  # the new cache's window starts at the current revision
    async with _session(fresh_cluster) as s:
        params = {"watch": "true", "resourceVersion": str(int(rv) - 1)}
        async with s.get("/api/v1/namespaces/default/configmaps", params=params) as r:
            assert r.status == 200
            evs = await _events(r, 1)
    assert evs[0]["type"] == "ERROR"
    status = evs[0]["object"]
    assert status["code"] == 410 and status["reason"] == "Expired"
    assert status["message"].startswith("too old resource version:")


async def test_bad_requests_are_status_errors_not_crashes(cluster):
    async with _session(cluster) as s:
        async with s.post(
            "/api/v1/namespaces/default/configmaps",
            data=b"{not json",
            headers={"Content-Type": "application/json"},
        ) as r:
            assert r.status == 400 and (await r.json())["kind"] == "Status"
        async with s.get("/api/v1/namespaces/default/configmaps", params={"resourceVersion": "abc"}) as r:
            assert r.status == 400
        async with s.get("/api/v1/namespaces/default/configmaps", params={"limit": "x"}) as r:
            assert r.status == 400
        async with s.get("/api/v1/nosuchthings") as r:
            body = await r.json()
            assert r.status == 404 and body["reason"] == "NotFound"
        async with s.patch(
            "/api/v1/namespaces/default/configmaps/none", data=b"{}", headers={"Content-Type": "text/plain"}
        ) as r:
            assert r.status == 415
        wrong = {"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "z"}}
        async with s.post("/api/v1/namespaces/default/configmaps", json=wrong) as r:
            message = (await r.json())["message"]
            assert r.status == 400 and "does not match the expected API version" in message
    async with aiohttp.ClientSession(
        cluster.url,
        connector=aiohttp.TCPConnector(
            ssl=ssl.create_default_context(cafile=str(cluster.data_dir / "pki" / "ca.crt"))
        ),
    ) as anon:
        async with anon.get("/api/v1/namespaces") as r:
            assert r.status == 401
        async with anon.get("/api/v1/namespaces", headers={"Authorization": "Bearer wrong"}) as r:
            assert r.status == 401
        async with anon.get("/version") as r:
            assert r.status == 200
