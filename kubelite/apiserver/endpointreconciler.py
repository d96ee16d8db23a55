"""The `kubernetes` Service's endpoints: every API server that advertises a reachable address.

    each API server, every 10 s:
      /registry/masterleases/<address>   ← {ip, port, expires: now + 15 s}   (its own lease)
      list /registry/masterleases/       → the unexpired ones (expired ones deleted)
      Endpoints default/kubernetes and EndpointSlice default/kubernetes
                                         ← one address per live lease, port https = its own
    on a clean stop: its lease deleted and the endpoints written once more without it

As with Kubernetes' lease endpoint reconciler (--endpoint-reconciler-type=lease), the
leases are storage keys of no resource, so no API shows them (the watch cache sees their
revisions go by and ignores them), and API servers that stop without a word drop out when
their lease expires (here: the next reconciliation after its expiry time deletes it).
All API servers are expected to serve on the same port (the endpoints carry the port of
whichever wrote them last). An API server advertising a loopback address publishes
nothing: pods could not reach it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from typing import Any

from kubelite.api import errors
from kubelite.api.resources import ResourceType
from kubelite.apiserver.registry import Registry, RequestContext
from kubelite.storage.interface import KeyExistsError, KeyNotFoundError, RevisionMismatchError, Store
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.apiserver.endpointreconciler")

LEASE_PREFIX = "/registry/masterleases/"  # as Kubernetes keys them; no resource of the watch cache
LEASE_TTL = 15.0  # seconds a lease lives unless renewed
INTERVAL = 10.0  # seconds between two reconciliations
_SYSTEM = RequestContext(user="system:apiserver", groups=("system:masters",))


def endpoints_for(ips: list[str], port: int) -> dict[str, Any]:
    subsets = []
    if ips:
        subsets = [
            {
                "addresses": [{"ip": ip} for ip in ips],
                "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
            }
        ]
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": subsets,
    }


def endpoint_slice_for(ips: list[str], port: int) -> dict[str, Any]:
    v6 = bool(ips) and all(ipaddress.ip_address(ip).version == 6 for ip in ips)
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            # As Kubernetes' API server labels it: no managed-by, so no controller claims it.
            "labels": {"kubernetes.io/service-name": "kubernetes"},
        },
        "addressType": "IPv6" if v6 else "IPv4",
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
        "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
    }


class EndpointReconciler:
    def __init__(
        self, store: Store, registry: Registry, advertise_address: str, port: int, clock: Clock | None = None
    ) -> None:
        self.store = store
        self.registry = registry
        self.address = advertise_address
        self.port = port
        self.clock = clock or RealClock()
        self.publishes = not ipaddress.ip_address(advertise_address).is_loopback
        self.key = LEASE_PREFIX + advertise_address

    async def run(self) -> None:
        """Reconcile every INTERVAL until cancelled; then take this server out (bounded)."""
        if not self.publishes:
            # Kubernetes refuses loopback endpoints (pods could not reach them). An API server
            # bound to loopback only is for this machine's own clients: nothing to publish.
            log.warning("advertise address is loopback; the kubernetes Service gets no endpoints")
            return
        try:
            while True:
                try:
                    await self.reconcile()
                except asyncio.CancelledError:
                    raise
                except Exception as err:
                    log.warning("could not reconcile the kubernetes endpoints: %s", err)
                await self.clock.sleep(INTERVAL)
        finally:
            await asyncio.shield(self._stop())

    async def _stop(self) -> None:
        try:
            await asyncio.wait_for(self.remove(), 2.0)
        except Exception as err:
            log.warning("could not take this API server out of the kubernetes endpoints: %s", err)

    async def reconcile(self) -> None:
        await self._renew()
        await self._write(await self._live())

    async def remove(self) -> None:
        try:
            await self.store.delete(self.key)
        except KeyNotFoundError:
            pass
        await self._write([ip for ip in await self._live() if ip != self.address])

    async def _renew(self) -> None:
        value = json.dumps({"ip": self.address, "port": self.port, "expires": self.clock.wall() + LEASE_TTL})
        current = await self.store.get(self.key)
        try:
            if current is None:
                await self.store.create(self.key, value.encode())
            else:
                await self.store.update(self.key, value.encode(), expected_revision=current.mod_revision)
        except (KeyExistsError, RevisionMismatchError):
            pass  # another write of the same lease just happened: the next round renews

    async def _live(self) -> list[str]:
        now, live = self.clock.wall(), []
        for kv in (await self.store.list(LEASE_PREFIX)).kvs:
            try:
                lease = json.loads(kv.value)
                expired = float(lease["expires"]) < now
            except (ValueError, KeyError, TypeError):
                expired = True
            if not expired:
                live.append(str(lease["ip"]))
                continue
            try:
                await self.store.delete(kv.key, expected_revision=kv.mod_revision)
            except (KeyNotFoundError, RevisionMismatchError):
                pass
        return sorted(live, key=ipaddress.ip_address)

    async def _write(self, ips: list[str]) -> None:
        await _put(self.registry, _rt(self.registry, "", "endpoints"), endpoints_for(ips, self.port))
        slices = _rt(self.registry, "discovery.k8s.io", "endpointslices")
        await _put(self.registry, slices, endpoint_slice_for(ips, self.port))


def _rt(registry: Registry, group: str, plural: str) -> ResourceType:
    rt = registry.catalog.get(group, "v1", plural)
    assert rt is not None, plural
    return rt


async def _put(registry: Registry, rt: ResourceType, obj: dict[str, Any]) -> None:
    """Create `obj` in default, or make the stored one say what it says (unless it does)."""
    name = obj["metadata"]["name"]
    cached = registry.peek(rt, "default", name)
    if cached is None:
        try:
            await registry.create(rt, "default", obj, _SYSTEM)
            return
        except errors.AlreadyExists:
            pass
    elif _same(cached.obj, obj):
        return

    def mutate(cur: dict[str, Any]) -> dict[str, Any]:
        for k, v in obj.items():
            if k != "metadata":
                cur[k] = v
        cur["metadata"]["labels"] = dict(obj["metadata"].get("labels", {}))  # ours, as written
        return cur

    await registry.update(rt, "default", name, mutate, _SYSTEM)


def _same(stored: dict[str, Any], wanted: dict[str, Any]) -> bool:
    if (stored["metadata"].get("labels") or {}) != wanted["metadata"]["labels"]:
        return False
    return all(stored.get(k) == v for k, v in wanted.items() if k not in ("metadata", "apiVersion", "kind"))
