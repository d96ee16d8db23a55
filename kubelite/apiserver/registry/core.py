"""What every registry verb shares: its dependencies and consistent reads of the cache.

Reads come from the watch cache. A read with no resourceVersion is consistent: the
registry asks the store for its current revision and waits for the cache to reach it
(`fresh`); `resourceVersion=0` reads the cache as it is; any other resourceVersion waits
for the cache to reach at least that revision (`at_least`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from kubelite.api import errors, meta
from kubelite.api.resources import ResourceCatalog, ResourceType
from kubelite.apiserver.registry.options import Admission
from kubelite.apiserver.watchcache import CachedObject, WatchCache
from kubelite.storage.interface import Store

Defaulter = Callable[[ResourceType, dict[str, Any]], None]
Validator = Callable[..., list[errors.FieldError]]


class RegistryCore:
    def __init__(
        self,
        store: Store,
        cache: WatchCache,
        catalog: ResourceCatalog,
        admission: Admission | None = None,
        defaults: Defaulter | None = None,
        validate: Validator | None = None,
    ) -> None:
        self.store = store
        self.cache = cache
        self.catalog = catalog
        self.admission = admission or Admission()
        self._defaults = defaults
        self._validate = validate

    async def fresh(self) -> None:
        """Bring the cache up to the store's current revision (a consistent read)."""
        rev = await self.store.current_revision()
        await self.cache.wait_for(rev)

    async def at_least(self, resource_version: str) -> None:
        if resource_version == "0":
            return
        if not resource_version:
            await self.fresh()
            return
        rv = parse_rv(resource_version)
        if rv > self.cache.revision:
            current = await self.store.current_revision()
            if rv > current:
                raise errors.Timeout(
                    f"Too large resource version: {rv}, current: {current}",
                    details={
                        "causes": [
                            {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
                        ],
                        "retryAfterSeconds": 1,
                    },
                )
            await self.cache.wait_for(rv)

    def peek(self, rt: ResourceType, namespace: str, name: str) -> CachedObject | None:
        found: CachedObject | None = self.cache.resource(rt.key_prefix).objects.get(rt.key(namespace, name))
        return found


def parse_rv(value: str) -> int:
    try:
        return meta.parse_resource_version(value)
    except ValueError:
        raise errors.BadRequest(f"invalid resource version: {value}") from None


def encode_for_store(obj: dict[str, Any]) -> bytes:
    """Objects are stored without resourceVersion: the store revision is the truth."""
    md = obj["metadata"]
    rv = md.pop("resourceVersion", None)
    try:
        return orjson.dumps(obj)
    finally:
        if rv is not None:
            md["resourceVersion"] = rv


def namespace_finalizers(rt: ResourceType, obj: dict[str, Any]) -> bool:
    """A Namespace with `spec.finalizers` left is not deleted yet (the namespace controller
    empties it first)."""
    return rt.group == "" and rt.kind == "Namespace" and bool((obj.get("spec") or {}).get("finalizers"))
