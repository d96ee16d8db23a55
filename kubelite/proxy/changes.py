"""The change tracker: what changed in Services and EndpointSlices since the last sync.

Informer handlers call `service_updated` / `slice_updated` (cheap: they record the newest
object and mark its service pending, nothing else); the sync calls `take()`, which turns
only the pending services into service ports and endpoints, drops those that came out
the same as before (a status-only update, a resync), and returns a `Snapshot`: the whole
current state plus the names that really changed. That is what makes syncs incremental
(kube-proxy's ServiceChangeTracker / EndpointsChangeTracker and partial syncs):

    informer events ──▶ pending {ns/name}  ──take()──▶ Snapshot(changed ⊆ pending,
    (many per second)     (a set: repeats                   services, endpoints,
                           coalesce)                        stale UDP flows)

The Snapshot's maps are fresh dicts each time, so a sync may read them in another thread
while the handlers go on recording.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubelite.api.types import Object
from kubelite.proxy.model import (
    SERVICE_NAME_LABEL,
    Endpoint,
    ServicePort,
    ServicePortName,
    service_ports,
    slice_endpoints,
)

ServiceMap = dict[ServicePortName, ServicePort]
EndpointsMap = dict[ServicePortName, tuple[Endpoint, ...]]


@dataclass(slots=True)
class Snapshot:
    services: ServiceMap
    endpoints: EndpointsMap
    changed: frozenset[str]  # `namespace/name` of services whose ports or endpoints changed
    # UDP flows conntrack may still send to the wrong place: (service port, endpoint) pairs
    # whose endpoint is gone, and service ports that had no endpoint and now have one.
    stale_udp_endpoints: list[tuple[ServicePort, Endpoint]] = field(default_factory=list)
    stale_udp_services: list[ServicePort] = field(default_factory=list)


def _key(obj: Object) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', 'default')}/{meta.get('name', '')}"


class ChangeTracker:
    def __init__(self, node_name: str) -> None:
        self.node_name = node_name
        self._services: dict[str, Object] = {}
        self._slices: dict[str, dict[str, Object]] = {}  # service key -> slice name -> slice
        self._pending: set[str] = set()
        self._ports: dict[str, list[ServicePort]] = {}
        self._endpoints: dict[str, dict[ServicePortName, tuple[Endpoint, ...]]] = {}
        self._service_map: ServiceMap = {}
        self._endpoints_map: EndpointsMap = {}
        self.service_changes = 0  # events recorded (the ..._changes_total metrics)
        self.endpoint_changes = 0

    def pending(self) -> bool:
        return bool(self._pending)

    def service_updated(self, svc: Object, *, deleted: bool = False) -> None:
        key = _key(svc)
        if deleted:
            self._services.pop(key, None)
        else:
            self._services[key] = svc
        self._pending.add(key)
        self.service_changes += 1

    def slice_updated(self, eps: Object, *, deleted: bool = False) -> None:
        meta = eps.get("metadata") or {}
        service = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
        if not service:
            return
        key = f"{meta.get('namespace', 'default')}/{service}"
        slices = self._slices.setdefault(key, {})
        if deleted:
            slices.pop(meta.get("name", ""), None)
            if not slices:
                del self._slices[key]
        else:
            slices[meta.get("name", "")] = eps
        self._pending.add(key)
        self.endpoint_changes += 1

    def mark_all(self) -> None:
        """Recompute every service at the next take() (the node's labels changed, say)."""
        self._pending.update(self._services, self._slices, self._ports)

    def take(self) -> Snapshot:
        """The current state and what changed since the previous take()."""
        changed: set[str] = set()
        snapshot = Snapshot({}, {}, frozenset())
        for key in self._pending:
            ports = service_ports(self._services[key]) if key in self._services else []
            endpoints = self._merge(key)
            old_ports, old_endpoints = self._ports.get(key, []), self._endpoints.get(key, {})
            if ports == old_ports and endpoints == old_endpoints:
                continue
            changed.add(key)
            self._stale_udp(snapshot, old_ports, old_endpoints, ports, endpoints)
            for p in old_ports:
                self._service_map.pop(p.name, None)
            for name in old_endpoints:
                self._endpoints_map.pop(name, None)
            self._service_map.update((p.name, p) for p in ports)
            self._endpoints_map.update(endpoints)
            self._set(key, ports, endpoints)
        self._pending.clear()
        snapshot.services = dict(self._service_map)
        snapshot.endpoints = dict(self._endpoints_map)
        snapshot.changed = frozenset(changed)
        return snapshot

    def _set(
        self, key: str, ports: list[ServicePort], endpoints: dict[ServicePortName, tuple[Endpoint, ...]]
    ) -> None:
        if ports:
            self._ports[key] = ports
        else:
            self._ports.pop(key, None)
        if endpoints:
            self._endpoints[key] = endpoints
        else:
            self._endpoints.pop(key, None)

    def _merge(self, key: str) -> dict[ServicePortName, tuple[Endpoint, ...]]:
        """The endpoints of every slice of one service, one per address, in address order."""
        merged: dict[ServicePortName, dict[str, Endpoint]] = {}
        for eps in self._slices.get(key, {}).values():
            for name, found in slice_endpoints(eps, self.node_name).items():
                by_ip = merged.setdefault(name, {})
                for e in found:
                    by_ip.setdefault(e.address, e)
        return {
            name: tuple(sorted(by.values(), key=lambda e: e.address)) for name, by in merged.items() if by
        }

    @staticmethod
    def _stale_udp(
        snapshot: Snapshot,
        old_ports: list[ServicePort],
        old_endpoints: dict[ServicePortName, tuple[Endpoint, ...]],
        ports: list[ServicePort],
        endpoints: dict[ServicePortName, tuple[Endpoint, ...]],
    ) -> None:
        by_name = {p.name: p for p in (*old_ports, *ports) if p.protocol == "UDP"}
        for name, svc in by_name.items():
            before = {e.address: e for e in old_endpoints.get(name, ())}
            after = {e.address for e in endpoints.get(name, ())}
            snapshot.stale_udp_endpoints += [(svc, e) for a, e in before.items() if a not in after]
            if not before and after:
                snapshot.stale_udp_services.append(svc)
