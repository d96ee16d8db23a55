"""`kubelite apiserver`: options, assembly and lifetime of one API server process.

    store (SQLite file or etcd cluster)
      -> watch cache (all objects in memory, fed by one store watch)
        -> registry (generic verbs + per-kind strategy, admission, validation)
          -> aiohttp application (authn, routes, handlers) over HTTPS

Start order: open the store, fill the cache, make sure the system namespaces and the
`kubernetes` Service exist, then listen. `run(ready)` sets `ready` once it is serving and
returns when cancelled, after closing listeners, watches and the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from kubelite.api import errors
from kubelite.api.resources import ResourceType, default_catalog
from kubelite.apiserver import apiservices, bootstrap
from kubelite.apiserver.allocator import ServiceAllocator
from kubelite.apiserver.app import APIApp
from kubelite.apiserver.authn import Authenticator, load_token_file
from kubelite.apiserver.crd.controller import CRDController
from kubelite.apiserver.endpointreconciler import EndpointReconciler
from kubelite.apiserver.kubeletclient import DEFAULT_ADDRESS_TYPES, KubeletClientOptions
from kubelite.apiserver.priority import PriorityAdmission, ensure_system_priority_classes
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.watchcache import WatchCache
from kubelite.storage import open_store
from kubelite.storage.interface import Store

log = logging.getLogger("kubelite.apiserver")


@dataclass(slots=True)
class APIServerOptions:
    store: str  # sqlite:///path/state.db or etcd://h:p[,h:p]
    cert_dir: Path  # ca.crt, apiserver.crt/.key (see util/pki.py)
    bind_address: str = "127.0.0.1"
    port: int = 6443
    advertise_address: str = "127.0.0.1"
    token_auth_file: Path | None = None
    service_cluster_ip_range: str = "10.96.0.0/12"
    service_node_port_range: tuple[int, int] = (30000, 32767)
    compaction_interval: float = 300.0  # seconds; 0 disables (Kubernetes: 5 min)
    watch_cache_window: int = 10_000
    extra_sans: tuple[str, ...] = field(default_factory=tuple)
    # How the API server reaches kubelets (logs, exec, attach, port-forward, nodes/proxy).
    kubelet_client_certificate: Path | None = None
    kubelet_client_key: Path | None = None
    kubelet_certificate_authority: Path | None = None
    kubelet_preferred_address_types: tuple[str, ...] = DEFAULT_ADDRESS_TYPES


def _defaults() -> Callable[[ResourceType, dict[str, Any]], None]:
    from kubelite.api.defaults import apply_defaults

    return apply_defaults


def _validator() -> Callable[..., list[errors.FieldError]]:
    from kubelite.api.validation import validate

    return validate


class APIServer:
    def __init__(self, options: APIServerOptions, store: Store | None = None) -> None:
        self.options = options
        self.store = store or open_store(options.store)
        self.catalog = default_catalog()
        self.cache = WatchCache(
            self.store, list(self.catalog.storage_prefixes()), window=options.watch_cache_window
        )
        self.allocator = ServiceAllocator(
            self.store,
            service_cidr=options.service_cluster_ip_range,
            node_port_range=options.service_node_port_range,
        )
        self.registry = Registry(
            self.store,
            self.cache,
            self.catalog,
            admission=[self.allocator],
            defaults=_defaults(),
            validate=_validator(),
        )
        self.registry.admission.append(PriorityAdmission(self.registry))
        tokens = load_token_file(options.token_auth_file) if options.token_auth_file else []
        self.authn = Authenticator(tokens)
        address = f"{options.advertise_address}:{options.port}"
        kubelets = KubeletClientOptions(
            client_certificate=options.kubelet_client_certificate,
            client_key=options.kubelet_client_key,
            certificate_authority=options.kubelet_certificate_authority,
            preferred_address_types=options.kubelet_preferred_address_types,
        )
        self.app = APIApp(self.registry, self.catalog, self.authn, address, self.health, kubelets)
        self.crds = CRDController(self.registry)
        self.port = options.port

    async def health(self) -> dict[str, bool]:
        checks = {
            "ping": True,
            "etcd": True,
            "informer-sync": self.cache.ready.is_set(),
            "poststarthook/bootstrap-controller": True,
        }
        try:
            await asyncio.wait_for(self.store.current_revision(), 2.0)
        except Exception:
            checks["etcd"] = False
        if self.cache.failed is not None:
            checks["informer-sync"] = False
        return checks

    def ssl_context(self) -> ssl.SSLContext:
        d = self.options.cert_dir
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(d / "apiserver.crt", d / "apiserver.key")
        ctx.load_verify_locations(cafile=str(d / "ca.crt"))
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.store.start()
        await self.cache.start()
        # Everything just loaded lives as long as the process: keep it out of the garbage
        # collector's scans, and collect young objects less often (the cache makes every
        # full collection expensive, which showed as latency spikes).
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        runner: web.AppRunner | None = None
        try:
            await bootstrap.ensure_system_namespaces(self.registry)
            await ensure_system_priority_classes(self.registry)
            await bootstrap.ensure_kubernetes_service(
                self.registry, self.allocator, self.options.advertise_address, self.options.port
            )
            await self.crds.sync_existing()
            await apiservices.sync(self.registry)
            runner = web.AppRunner(self.app.app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
            await runner.setup()
            site = web.TCPSite(
                runner,
                self.options.bind_address,
                self.options.port,
                ssl_context=self.ssl_context(),
                backlog=1024,
                reuse_address=True,
            )
            await site.start()
            if self.options.port == 0:
                self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            log.info("API server listening", extra={"port": self.port})
            if ready is not None:
                ready.set()
            endpoints = EndpointReconciler(
                self.store, self.registry, self.options.advertise_address, self.port
            )
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.crds.run(), name="crds")
                tg.create_task(endpoints.run(), name="kubernetes-endpoints")
                if self.options.compaction_interval > 0:
                    tg.create_task(self._compact_loop(), name="compactor")
        finally:
            if runner is not None:
                await runner.cleanup()
            await self.cache.stop()
            with contextlib.suppress(Exception):
                await self.store.close()

    async def _compact_loop(self) -> None:
        """Every interval, forget history older than the revision seen one interval ago."""
        previous = 0
        while True:
            await asyncio.sleep(self.options.compaction_interval)
            current = await self.store.current_revision()
            if previous:
                try:
                    await self.store.compact(previous)
                except Exception:
                    log.warning("compaction failed", exc_info=True)
            previous = current
