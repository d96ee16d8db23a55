"""What admission plugins read: objects from the API server's watch cache.

Plugins look objects up where the API server keeps them (the watch cache) rather than through
informers of their own, as Kubernetes' plugins read shared informers; a lookup that misses
first brings the cache up to the store's current revision, so an object created just before
(a namespace, a service account) is found.
"""

from __future__ import annotations

from typing import Any

from kubelite.api.resources import ResourceType
from kubelite.apiserver.registry import Registry, RequestContext

SYSTEM = RequestContext(user="system:apiserver", groups=("system:masters",))


class Objects:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def type(self, group: str, version: str, plural: str) -> ResourceType:
        rt = self.registry.catalog.get(group, version, plural)
        assert rt is not None, plural
        return rt

    async def get(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        """The stored object, or None; a miss is re-read at the store's revision."""
        found = self.registry.peek(rt, namespace, name)
        if found is None:
            await self.registry.fresh()
            found = self.registry.peek(rt, namespace, name)
        return None if found is None else found.obj

    def peek(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        found = self.registry.peek(rt, namespace, name)
        return None if found is None else found.obj

    def list(self, rt: ResourceType, namespace: str = "") -> list[dict[str, Any]]:
        """The cached objects of a type in a namespace (all of them for ""). Shared: copy
        before changing."""
        prefix = rt.key(namespace, "") if namespace else rt.key_prefix + "/"
        return [co.obj for _, co in self.registry.cache.resource(rt.key_prefix).items(prefix)]
