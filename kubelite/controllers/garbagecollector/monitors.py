"""What the garbage collector watches: every resource that can be deleted, found by discovery.

Any object of any kind may own or be owned, custom resources included, so the collector
asks the server what it serves (`/api`, `/apis`) and keeps one informer - a *monitor* -
per resource that supports delete, list and watch (Events excepted, as in Kubernetes).
Discovery runs again every 30 seconds; resources that appeared (a new CRD) get a monitor,
resources that went away lose theirs.

The `RESTMapper` answers "which resource serves objects of this apiVersion and kind"
from the same discovery, which the collector needs to read an owner named only by an
ownerReference; an unknown kind is a `RESTMappingError` (retried, since the kind may
simply not be discovered yet).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kubelite.client.discovery import DiscoveryResult, ServerResource
from kubelite.client.informer import EventHandler, SharedInformer, SharedInformerFactory
from kubelite.client.reconcile import TemporaryError
from kubelite.client.resource import APIClient, APIResource

log = logging.getLogger("kubelite.controllers.garbagecollector")

IGNORED = frozenset({("", "events"), ("events.k8s.io", "events")})
DISCOVERY_PERIOD = 30.0


class RESTMappingError(TemporaryError):
    """No served resource has this kind (yet)."""


@dataclass(slots=True)
class RESTMapper:
    by_kind: dict[tuple[str, str], APIResource]

    @classmethod
    def of(cls, resources: list[ServerResource]) -> RESTMapper:
        return cls({(r.resource.group, r.resource.kind): r.resource for r in resources})

    def resource_for(self, api_version: str, kind: str) -> APIResource:
        group = api_version.rpartition("/")[0]
        found = self.by_kind.get((group, kind))
        if found is None:
            raise RESTMappingError(f"unable to get REST mapping for {api_version}/{kind}")
        return found


def deletable(result: DiscoveryResult) -> list[APIResource]:
    return [
        r.resource
        for r in result.resources
        if r.supports("delete", "list", "watch") and (r.resource.group, r.resource.plural) not in IGNORED
    ]


class Monitors:
    """One informer per deletable resource, each feeding `handler`."""

    def __init__(
        self,
        client: APIClient,
        informers: SharedInformerFactory,
        discover: Callable[[], Awaitable[DiscoveryResult]],
        handler: EventHandler,
    ) -> None:
        self.client = client
        self.informers = informers
        self.discover = discover
        self.handler = handler
        self.mapper = RESTMapper({})
        self.monitors: dict[tuple[str, str], SharedInformer] = {}

    async def sync(self) -> bool:
        """Discover again; start monitors for new resources. True if any was added."""
        result = await self.discover()
        if result.failed:
            log.warning("discovery failed for some groups", extra={"groups": sorted(result.failed)})
        self.mapper = RESTMapper.of(result.resources)
        added = False
        wanted = {(r.group, r.plural): r for r in deletable(result)}
        for key, resource in wanted.items():
            if key in self.monitors:
                continue
            informer = self.informers.for_resource(self.client.for_resource(resource))
            informer.add_event_handler(self.handler)
            self.monitors[key] = informer
            added = True
        for key in [k for k in self.monitors if k not in wanted]:
            # The resource is no longer served (a deleted CRD): its objects are gone too.
            # The shared informer stays (others may use it); we just stop counting on it.
            del self.monitors[key]
        if added:
            self.informers.start()
        return added

    def has_synced(self) -> bool:
        return all(i.has_synced() for i in self.monitors.values())

    async def wait_for_sync(self) -> None:
        for informer in list(self.monitors.values()):
            await informer.wait_for_sync()
