"""The client's request timeout bounds time on the socket, not the wait for a pooled
connection: a burst queued behind the pool is sent, however long the queue; a server that
stops answering still times the request out."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from kubelite.client.config import ClientConfig
from kubelite.client.rest import Client


async def _server(delay: float, port_holder: list[int]) -> web.AppRunner:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        return web.json_response({"kind": "Status"})

    app = web.Application()
    app.router.add_get("/slow", slow)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port_holder.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    return runner


async def test_requests_queued_behind_the_pool_do_not_time_out_while_they_wait():
    port: list[int] = []
    runner = await _server(0.3, port)
    config = ClientConfig(
        server=f"http://127.0.0.1:{port[0]}", timeout=1.0, max_connections=1, qps=1000, burst=1000
    )
    try:
        async with Client(config) as client:
            # Six requests through one connection take ~1.8 s in all: longer than the timeout.
            results = await asyncio.gather(*(client.request("GET", "/slow") for _ in range(6)))
        assert results == [{"kind": "Status"}] * 6
    finally:
        await runner.cleanup()


async def test_a_server_that_stops_answering_still_times_the_request_out():
    port: list[int] = []
    runner = await _server(30, port)
    config = ClientConfig(server=f"http://127.0.0.1:{port[0]}", timeout=0.5)
    try:
        async with Client(config) as client:
            with pytest.raises(TimeoutError):
                await client.request("GET", "/slow")
    finally:
        await runner.cleanup()
