"""`GET /metrics`: the API server's own Prometheus metrics, read from its state when scraped.

    apiserver_registered_watchers{group,version,kind}   watches open now, per resource
    apiserver_storage_objects{resource}                 objects stored, per resource

Both are Kubernetes' metric names. They are computed from the watch cache at scrape time
(a collector, not counters kept on the request path), so serving them costs nothing between
scrapes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kubelite.api.resources import ResourceCatalog
from kubelite.apiserver.watchcache import WatchCache

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class CacheCollector(Collector):
    def __init__(self, cache: WatchCache, catalog: ResourceCatalog) -> None:
        self.cache = cache
        self.catalog = catalog

    def collect(self) -> Iterator[Metric]:
        watchers = GaugeMetricFamily(
            "apiserver_registered_watchers",
            "Number of currently registered watchers for a given resource",
            labels=["group", "version", "kind"],
        )
        objects = GaugeMetricFamily(
            "apiserver_storage_objects", "Number of stored objects per resource", labels=["resource"]
        )
        seen: set[str] = set()
        for rt in self.catalog:
            rc = self.cache.resources.get(rt.key_prefix)
            if rc is None or rt.key_prefix in seen:
                continue  # not stored, or another version of a resource already counted
            seen.add(rt.key_prefix)
            watchers.add_metric([rt.group, rt.version, rt.kind], len(rc.watchers))
            objects.add_metric([f"{rt.plural}.{rt.group}" if rt.group else rt.plural], len(rc.objects))
        yield watchers
        yield objects


def metrics_handler(
    cache: WatchCache, catalog: ResourceCatalog
) -> Callable[[web.Request], Awaitable[web.Response]]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CacheCollector(cache, catalog))

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE})

    return handle
