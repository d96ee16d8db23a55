"""kube-proxy's health server (--healthz-bind-address, port 10256) and metrics server
(--metrics-bind-address, port 10249), plain HTTP as kube-proxy serves them.

    GET /healthz  200 or 503, JSON {"lastUpdated": ..., "currentTime": ..., "nodeEligible": ...}
    GET /livez    the same without the node's eligibility
    GET /metrics  Prometheus text (on the metrics server; also /healthz there)

Healthy means no change has waited for a sync longer than the health timeout (twice
--iptables-sync-period): a proxy whose syncs keep failing or hang turns unhealthy, and
load balancers stop sending it NodePort traffic. `nodeEligible` is false once the node
is being deleted (deletionTimestamp, or the ToBeDeletedByClusterAutoscaler taint). As in
kube-proxy, a healthy answer reports lastUpdated as the current time.
"""

from __future__ import annotations

import datetime as dt
import json

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from kubelite.api.types import Object
from kubelite.proxy.metrics import ProxyMetrics
from kubelite.util.clock import Clock
from kubelite.util.net import ListenError

TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler"


def go_time(seconds: float) -> str:
    """A wall time as Go's time.Time.String() prints it (without the monotonic part)."""
    t = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond * 1000:09d} +0000 UTC"


class ProxyHealth:
    """What /healthz knows: when a change was first queued and not yet synced, and when
    the rules were last synced."""

    def __init__(self, clock: Clock, timeout: float) -> None:
        self.clock = clock
        self.timeout = timeout
        self.oldest_pending: float | None = None
        self.last_updated: float | None = None
        self.node_eligible = True

    def queued(self) -> None:
        if self.oldest_pending is None:
            self.oldest_pending = self.clock.wall()

    def updated(self) -> None:
        self.oldest_pending = None
        self.last_updated = self.clock.wall()

    def sync_node(self, node: Object) -> None:
        deleting = bool((node.get("metadata") or {}).get("deletionTimestamp"))
        taints = (node.get("spec") or {}).get("taints") or []
        self.node_eligible = not deleting and not any(t.get("key") == TO_BE_DELETED_TAINT for t in taints)

    def healthy(self) -> bool:
        return self.oldest_pending is None or self.clock.wall() - self.oldest_pending < self.timeout

    def body(self, *, with_node: bool) -> tuple[int, str]:
        now = self.clock.wall()
        ok = self.healthy() and (self.node_eligible or not with_node)
        last = now if ok else (self.last_updated or 0.0)
        text = (
            f'{{"lastUpdated": {json.dumps(go_time(last))},"currentTime": {json.dumps(go_time(now))}, '
            f'"nodeEligible": {"true" if self.node_eligible else "false"}}}'
        )
        return (200 if ok else 503), text


def health_app(
    health: ProxyHealth, metrics: ProxyMetrics, registry: CollectorRegistry | None = None
) -> web.Application:
    """/healthz and /livez; with `registry`, /metrics too (the metrics server)."""

    def handler(with_node: bool) -> Handler:
        async def handle(request: web.Request) -> web.Response:
            code, text = health.body(with_node=with_node)
            (metrics.healthz if with_node else metrics.livez).labels(str(code)).inc()
            headers = {"X-Content-Type-Options": "nosniff"}
            return web.Response(status=code, text=text, content_type="application/json", headers=headers)

        return handle

    app = web.Application()
    app.router.add_get("/healthz", handler(True))
    app.router.add_get("/livez", handler(False))
    if registry is not None:

        async def metrics_handler(request: web.Request) -> web.Response:
            encode, content_type = choose_encoder(request.headers.get("Accept", ""))
            return web.Response(body=encode(registry), headers={"Content-Type": content_type})

        app.router.add_get("/metrics", metrics_handler)
    return app


def split_host_port(address: str, default_port: int) -> tuple[str, int]:
    """`0.0.0.0:10256` → ("0.0.0.0", 10256); an address without a port gets the default."""
    host, sep, port = address.rpartition(":")
    if not sep:
        return address, default_port
    return host.strip("[]") or "0.0.0.0", int(port)


async def serve(app: web.Application, address: str) -> tuple[web.AppRunner, int]:
    """Start `app` on `host:port`; returns the runner (to clean up) and the bound port."""
    host, port = split_host_port(address, 0)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as err:
        await runner.cleanup()
        raise ListenError(host, port, err) from None
    sockets = getattr(site._server, "sockets", None) or []
    return runner, sockets[0].getsockname()[1] if sockets else port
