"""Deleting everything in a terminating namespace, then letting the namespace go.

namespace has no deletionTimestamp ─────────▶ nothing to do
phase not yet Terminating ──────────────────▶ set it
spec.finalizers no longer has `kubernetes` ─▶ done (finalized already)
for every namespaced resource that can be deleted (found by discovery):
    deletecollection (or list and delete each) with propagationPolicy Background,
    then list what is left, counting the finalizers that hold it
conditions updated (`conditions.py`)
anything left ──────────────────────────────▶ ResourcesRemaining(estimate): look
                                              again in estimate/2 + 1 seconds (the
                                              estimate is the longest pod grace
                                              period, or 15 s when finalizers hold
                                              the content)
nothing left ───────────────────────────────▶ PUT .../finalize without `kubernetes`:
                                              the API server deletes the namespace
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.discovery import DiscoveryResult, ServerResource
from kubelite.client.resource import APIClient
from kubelite.controllers.namespace.conditions import ConditionUpdater
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.controllers.namespace")

FINALIZER = "kubernetes"
FINALIZER_ESTIMATE_SECONDS = 15


class ResourcesRemaining(Exception):
    """Content is still going away; look again after `estimate` seconds."""

    def __init__(self, estimate: int) -> None:
        super().__init__(
            f"some content remains in the namespace, estimate {estimate} seconds before it is removed"
        )
        self.estimate = estimate


class ContentError(Exception):
    """Deleting some of the content failed (the aggregate of the failures)."""


@dataclass(slots=True)
class _Remaining:
    estimate: int = 0
    by_resource: dict[str, int] = field(default_factory=dict)
    by_finalizer: Counter[str] = field(default_factory=Counter)


def _name(r: ServerResource) -> str:
    return f"{r.resource.plural}.{r.resource.group}"


class NamespaceDeleter:
    def __init__(
        self, client: APIClient, discover: Callable[[], Awaitable[DiscoveryResult]], clock: Clock
    ) -> None:
        self.client = client
        self.namespaces = client.resource("namespaces")
        self.discover = discover
        self.clock = clock

    async def delete(self, name: str) -> None:
        """One pass; raises ResourcesRemaining while content remains."""
        try:
            ns = await self.namespaces.get(name)
        except errors.NotFound:
            return
        if not ns["metadata"].get("deletionTimestamp"):
            return
        if (ns.get("status") or {}).get("phase") != "Terminating":
            ns["status"] = {**(ns.get("status") or {}), "phase": "Terminating"}
            ns = await self.namespaces.update(ns, subresource="status")
        if FINALIZER not in ((ns.get("spec") or {}).get("finalizers") or []):
            return
        estimate = await self._delete_all_content(ns)
        if estimate > 0:
            raise ResourcesRemaining(estimate)
        await self._finalize(ns)

    async def _delete_all_content(self, ns: Object) -> int:
        updater = ConditionUpdater(self.clock.wall())
        failures: list[str] = []
        found = await self.discover()
        if found.failed:
            updater.discovery_failed(found.failed)
            failures.append("discovery failed for some groups")
        remaining = _Remaining()
        name = ns["metadata"]["name"]
        for resource in found.resources:
            if not resource.resource.namespaced or not resource.supports("delete"):
                continue
            try:
                await self._delete_resource(resource, name, remaining)
            except errors.APIError as err:
                updater.delete_failed(err.message)
                failures.append(err.message)
        updater.remaining(remaining.by_resource, dict(remaining.by_finalizer))
        if updater.apply(ns):
            try:
                await self.namespaces.update(ns, subresource="status")
            except errors.APIError as err:
                log.warning(
                    "could not update the namespace's conditions: %s", err.message, extra={"namespace": name}
                )
        if failures:
            raise ContentError("; ".join(failures))
        return remaining.estimate

    async def _delete_resource(self, r: ServerResource, namespace: str, remaining: _Remaining) -> None:
        client = self.client.for_resource(r.resource)
        estimate = 0
        if (r.resource.group, r.resource.plural) == ("", "pods"):
            estimate = await self._pods_grace(namespace)
        if r.supports("deletecollection"):
            await client.delete_collection(namespace=namespace, propagation_policy="Background")
        elif r.supports("list"):
            for item in (await client.list(namespace=namespace))["items"]:
                try:
                    await client.delete(
                        item["metadata"]["name"], namespace=namespace, propagation_policy="Background"
                    )
                except errors.NotFound:
                    pass
        if not r.supports("list"):
            remaining.estimate = max(remaining.estimate, estimate)
            return
        left = (await client.list(namespace=namespace))["items"]
        if not left:
            remaining.estimate = max(remaining.estimate, estimate)
            return
        remaining.by_resource[_name(r)] = len(left)
        held = Counter(f for item in left for f in item["metadata"].get("finalizers") or [])
        remaining.by_finalizer.update(held)
        if estimate == 0 and held:
            estimate = FINALIZER_ESTIMATE_SECONDS
        elif estimate == 0:
            raise errors.InternalError(
                f"unexpected items still remain in namespace: {namespace} for gvr: "
                f"{r.resource.group}/{r.resource.version}, Resource={r.resource.plural}"
            )
        remaining.estimate = max(remaining.estimate, estimate)

    async def _pods_grace(self, namespace: str) -> int:
        """The longest termination grace period of the namespace's running pods."""
        pods = (await self.client.resource("pods").list(namespace=namespace))["items"]
        graces = [
            int((p.get("spec") or {}).get("terminationGracePeriodSeconds") or 0)
            for p in pods
            if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]
        return max(graces, default=0)

    async def _finalize(self, ns: Object, retries: int = 5) -> None:
        """Remove our finalizer through /finalize, reading the namespace again on conflict."""
        for attempt in range(retries):
            fins = [f for f in (ns.get("spec") or {}).get("finalizers") or [] if f != FINALIZER]
            body = {**ns, "spec": {**(ns.get("spec") or {}), "finalizers": fins}}
            try:
                await self.namespaces.update(body, subresource="finalize")
                return
            except errors.NotFound:
                return  # another controller finished it
            except errors.Conflict:
                if attempt == retries - 1:
                    raise
                ns = await self.namespaces.get(ns["metadata"]["name"])
