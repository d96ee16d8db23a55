"""`KubeletServer`: the kubelet's HTTPS server, its routes and its lifetime.

    GET  /healthz                      "ok"
    GET  /pods                         the pods this node runs, as a v1 PodList
    GET  /stats/summary                the Summary API (stats.py)
    GET  /metrics                      the kubelet's own metrics (Prometheus)
    GET  /metrics/resource             resource usage for metrics-server (stats.py)
    GET  /containerLogs/...            a container's log (containerlogs.py)
    *    /exec/... /attach/... /portForward/... /run/...   (streaming.py)

Port 10250 and a serving certificate from the cluster CA (`--tls-cert-file`; a self-signed
one made in memory without it, as the kubelet makes one), client certificates verified
against `--client-ca-file`, bearer tokens and every request's permission asked of the API
server (webhook.py); every request passes auth.py's chain first. The port the server
listens on is published in the Node's `status.daemonEndpoints.kubeletEndpoint`.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from kubelite.componentbase.serving import self_signed_context
from kubelite.kubelet.server.auth import AlwaysAllow, Authorizer, auth_middleware
from kubelite.kubelet.server.containerlogs import ContainerLogsHandler
from kubelite.kubelet.server.host import KubeletHost
from kubelite.kubelet.server.stats import RateCache, ResourceMetrics, summary
from kubelite.kubelet.server.streaming import StreamingHandlers
from kubelite.kubelet.server.webhook import WebhookAuthorizer, WebhookTokenAuthenticator
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.kubelet.server")

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(slots=True)
class ServerOptions:
    address: str = "0.0.0.0"
    port: int = 10250  # 0: a free port (tests)
    tls_cert_file: Path | None = None
    tls_private_key_file: Path | None = None
    client_ca_file: Path | None = None
    authorization_mode: str = "Webhook"  # or AlwaysAllow
    authentication_token_webhook: bool = True  # bearer tokens checked with a TokenReview
    anonymous_auth: bool = False


def authorizer_for(mode: str, client: Any, clock: Clock) -> Authorizer:
    if mode == "AlwaysAllow":
        return AlwaysAllow()
    if mode == "Webhook":
        return WebhookAuthorizer(client, clock)
    raise ValueError(f"unknown authorization mode {mode!r} (AlwaysAllow, Webhook)")


class KubeletMetrics:
    """The kubelet's own metrics, read from the host when scraped."""

    def __init__(self, host: KubeletHost) -> None:
        self.host = host

    def collect(self) -> Iterator[Metric]:
        name = GaugeMetricFamily(
            "kubelet_node_name", "[ALPHA] The node's name. The count is always 1.", labels=["node"]
        )
        name.add_metric([self.host.node_name], 1)
        running = GaugeMetricFamily(
            "kubelet_running_pods", "[ALPHA] Number of pods that have a running pod sandbox"
        )
        running.add_metric(
            [], sum(1 for p in self.host.pods() if (p.get("status") or {}).get("phase") == "Running")
        )
        yield name
        yield running


class KubeletServer:
    def __init__(
        self, host: KubeletHost, options: ServerOptions, *, client: Any, clock: Clock | None = None
    ) -> None:
        """`client` is the kubelet's API client, which the webhooks ask (reviews only)."""
        self.host = host
        self.options = options
        self.clock = clock or RealClock()
        self.port = options.port
        self._runner: web.AppRunner | None = None
        self._rates = RateCache()
        self._resource = ResourceMetrics()
        self._resource_registry = CollectorRegistry(auto_describe=False)
        self._resource_registry.register(self._resource)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(KubeletMetrics(host))
        authorizer = authorizer_for(options.authorization_mode, client, self.clock)
        tokens = (
            WebhookTokenAuthenticator(client, self.clock) if options.authentication_token_webhook else None
        )
        self.app = web.Application(
            middlewares=[
                auth_middleware(host.node_name, authorizer, tokens=tokens, anonymous=options.anonymous_auth)
            ]
        )
        r = self.app.router
        r.add_get("/healthz", self.healthz)
        r.add_get("/pods", self.pods)
        r.add_get("/pods/", self.pods)
        r.add_get("/stats/summary", self.stats_summary)
        r.add_get("/metrics", self.metrics)
        r.add_get("/metrics/resource", self.resource_metrics)
        StreamingHandlers(host).routes(self.app)
        ContainerLogsHandler(host, self.clock).routes(self.app)

    def ssl_context(self) -> ssl.SSLContext:
        o = self.options
        if o.tls_cert_file is not None and o.tls_private_key_file is not None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(o.tls_cert_file, o.tls_private_key_file)
        else:
            ctx = self_signed_context(("localhost", "127.0.0.1", self.host.node_name))
        if o.client_ca_file is not None:
            ctx.load_verify_locations(cafile=str(o.client_ca_file))
            ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, self.options.address, self.options.port, ssl_context=self.ssl_context()
        )
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("kubelet server listening", extra={"address": self.options.address, "port": self.port})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- handlers
    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def pods(self, request: web.Request) -> web.Response:
        body = {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": self.host.pods()}
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def stats_summary(self, request: web.Request) -> web.Response:
        doc = await summary(self.host.node_name, self.host.pods(), self.host.runtime, self._rates)
        if request.query.get("only_cpu_and_memory") == "true":
            doc["node"] = {
                k: v for k, v in doc["node"].items() if k in ("nodeName", "startTime", "cpu", "memory")
            }
            for pod in doc["pods"]:
                pod.pop("volume", None)
        return web.Response(body=orjson.dumps(doc), content_type="application/json")

    async def metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": PROMETHEUS_TEXT})

    async def resource_metrics(self, request: web.Request) -> web.Response:
        await self._resource.refresh(self.host.runtime, self.host.pods())
        return web.Response(
            body=generate_latest(self._resource_registry), headers={"Content-Type": PROMETHEUS_TEXT}
        )
