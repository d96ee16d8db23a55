"""The component's HTTPS server: health checks and Prometheus metrics.

    GET /healthz  /livez  /readyz   "ok", or 500 with one line per check:
                                    "[+]ping ok", "[-]informer-sync failed: reason withheld",
                                    then "<path> check failed"; `?verbose` lists the lines
                                    on success too, `?exclude=NAME` skips a check, and
                                    `/healthz/NAME` runs one check alone
    GET /metrics                    the component's `prometheus_client` registry, in the
                                    Prometheus text format (OpenMetrics when asked for)

These are the endpoints kube-scheduler and kube-controller-manager serve on their secure
ports (10259, 10257); the API server's `componentstatuses` probes /healthz there. As in
Kubernetes the server speaks HTTPS only, with a self-signed certificate made in memory when
none is given. Unlike Kubernetes, /metrics needs no credentials (kubelite has no delegated
authorization yet), which is why the server binds to loopback unless told otherwise.

A check is a function returning None when healthy or a short reason when not; checks run on
the event loop and must not block. /readyz includes the /healthz checks, as Kubernetes'
does.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import tempfile
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler
from cryptography.hazmat.primitives import serialization
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from kubelite.util.net import ListenError
from kubelite.util.pki import issue, make_ca

Check = Callable[[], str | None]


def self_signed_context(hosts: tuple[str, ...]) -> ssl.SSLContext:
    """A server TLS context with a fresh CA and serving certificate, kept in memory only
    (Python's ssl needs files, so they exist in a private directory while loading)."""
    ca_cert, ca_key = make_ca(f"localhost-ca@{int(dt.datetime.now(dt.UTC).timestamp())}")
    cert, key = issue(ca_cert, ca_key, common_name="localhost", hosts=hosts, server=True)
    pem_cert = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
        serialization.Encoding.PEM
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory(prefix="kubelite-serving-") as tmp:
        cert_path, key_path = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
        for path, data in ((cert_path, pem_cert), (key_path, pem_key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        ctx.load_cert_chain(cert_path, key_path)
    return ctx


def _serving_hosts(bind_address: str) -> tuple[str, ...]:
    hosts = ["localhost", "127.0.0.1"]
    try:
        if not ipaddress.ip_address(bind_address).is_unspecified:
            hosts.append(bind_address)
    except ValueError:
        hosts.append(bind_address)
    return tuple(hosts)


class HealthServer:
    """/healthz, /livez, /readyz and /metrics for one component; `async with` runs it."""

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        bind_address: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        tls_cert_file: Path | None = None,
        tls_private_key_file: Path | None = None,
    ) -> None:
        self.registry = registry
        self.bind_address = bind_address
        self.requested_port = port
        self._tls = tls
        self._tls_files = (tls_cert_file, tls_private_key_file)
        self._health: dict[str, Check] = {"ping": lambda: None}
        self._ready: dict[str, Check] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0  # the bound port once started (useful with port 0 in tests)

    def add_healthz_check(self, name: str, check: Check) -> None:
        """A check of /healthz, /livez and /readyz: failing means "restart me"."""
        self._health[name] = check

    def add_readyz_check(self, name: str, check: Check) -> None:
        """A check of /readyz only: failing means "not ready to work yet"."""
        self._ready[name] = check

    def _context(self) -> ssl.SSLContext:
        if self._tls is not None:
            return self._tls
        cert, key = self._tls_files
        if cert and key:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(cert, key)
            return ctx
        return self_signed_context(_serving_hosts(self.bind_address))

    def app(self) -> web.Application:
        app = web.Application()
        for path in ("/healthz", "/livez"):
            app.router.add_get(path, self._checks_handler(path, lambda: self._health))
            app.router.add_get(path + "/{check}", self._one_check_handler(lambda: self._health))
        app.router.add_get(
            "/readyz", self._checks_handler("/readyz", lambda: {**self._health, **self._ready})
        )
        app.router.add_get(
            "/readyz/{check}", self._one_check_handler(lambda: {**self._health, **self._ready})
        )
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> None:
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.bind_address, self.requested_port, ssl_context=self._context())
        try:
            await site.start()
        except OSError as err:
            await runner.cleanup()
            raise ListenError(self.bind_address, self.requested_port, err) from None
        self._runner = runner
        server = site._server  # aiohttp exposes the bound sockets only here
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.requested_port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> HealthServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- handlers ----

    def _checks_handler(self, path: str, checks: Callable[[], dict[str, Check]]) -> Handler:
        async def handle(request: web.Request) -> web.Response:
            excluded = set(request.query.getall("exclude", []))
            lines, failed = [], False
            for name, check in checks().items():
                if name in excluded:
                    continue
                reason = _run(check)
                failed = failed or reason is not None
                lines.append(f"[+]{name} ok" if reason is None else f"[-]{name} failed: reason withheld")
            if failed:
                return web.Response(status=500, text="\n".join([*lines, f"{path[1:]} check failed"]) + "\n")
            if "verbose" in request.query:
                return web.Response(text="\n".join([*lines, f"{path[1:]} check passed"]) + "\n")
            return web.Response(text="ok")

        return handle

    def _one_check_handler(self, checks: Callable[[], dict[str, Check]]) -> Handler:
        async def handle(request: web.Request) -> web.Response:
            check = checks().get(request.match_info["check"])
            if check is None:
                return web.Response(status=404, text="404 page not found\n")
            reason = _run(check)
            if reason is None:
                return web.Response(text="ok")
            return web.Response(status=500, text=f"internal server error: {reason}\n")

        return handle

    async def _metrics(self, request: web.Request) -> web.Response:
        # The format the scraper asks for (Prometheus' text format unless it accepts OpenMetrics).
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encode(self.registry), headers={"Content-Type": content_type})


def _run(check: Check) -> str | None:
    try:
        return check()
    except Exception as err:  # a broken check reports unhealthy; it must not break the endpoint
        return f"{type(err).__name__}: {err}"
