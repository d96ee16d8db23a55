"""The DNS server's HTTP endpoints, on CoreDNS's ports and paths (plain HTTP, as CoreDNS):

    :8080 /health    200 "OK" while the process runs (the liveness probe)
    :8181 /ready     200 "OK" once the caches have synced, else 503 naming the plugin
                     that is not ready ("kubernetes") - the readiness probe
    :9153 /metrics   the Prometheus registry (metrics.py)

A port of 0 picks a free one; a negative port serves nothing there. Several paths may
share one port when the ports given are equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from kubelite.util.net import ListenError


@dataclass(slots=True)
class HTTPEndpoints:
    registry: CollectorRegistry
    ready: Callable[[], bool]
    host: str = "0.0.0.0"
    health_port: int = 8080
    ready_port: int = 8181
    metrics_port: int = 9153
    bound: dict[str, int] = field(default_factory=dict)  # path → the port it is served on
    _runners: list[web.AppRunner] = field(default_factory=list)

    async def _health(self, _: web.Request) -> web.Response:
        return web.Response(text="OK")

    async def _ready(self, _: web.Request) -> web.Response:
        if self.ready():
            return web.Response(text="OK")
        return web.Response(status=503, text="kubernetes")

    async def _metrics(self, request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encoder(self.registry), headers={"Content-Type": content_type})

    async def start(self) -> None:
        routes = {"/health": self._health, "/ready": self._ready, "/metrics": self._metrics}
        ports = {"/health": self.health_port, "/ready": self.ready_port, "/metrics": self.metrics_port}
        by_port: dict[int, list[str]] = {}
        for path, port in ports.items():
            if port >= 0:
                by_port.setdefault(port, []).append(path)
        for port, paths in by_port.items():
            groups = [[p] for p in paths] if port == 0 else [paths]
            for group in groups:
                app = web.Application()
                for path in group:
                    app.router.add_get(path, routes[path])
                runner = web.AppRunner(app, access_log=None)
                await runner.setup()
                site = web.TCPSite(runner, self.host, port)
                try:
                    await site.start()
                except OSError as err:
                    await runner.cleanup()
                    raise ListenError(self.host, port, err) from None
                self._runners.append(runner)
                actual = runner.addresses[0][1]
                for path in group:
                    self.bound[path] = actual

    async def close(self) -> None:
        for r in self._runners:
            await r.cleanup()
        self._runners.clear()
