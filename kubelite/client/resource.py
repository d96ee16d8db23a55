"""Typed access to one resource: every verb, subresources, patch types, paged lists, watch.

An `APIResource` says where a resource lives (`/apis/apps/v1/namespaces/{ns}/deployments`);
`find_resource` takes it from kubelite's built-in catalogue, and custom resources can be
described by hand. A `ResourceClient` binds one to a `Client` and offers the verbs with
Kubernetes' query parameters as keyword arguments.

For namespaced resources `namespace=None` means "all namespaces" for list, watch and
deletecollection, and the object's own namespace (else the client's default) for the rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from kubelite.api.resources import ResourceType, default_catalog
from kubelite.api.types import Object

Objects = list[Object]  # `list[...]` inside a class with a `list` method would name the method

if TYPE_CHECKING:
    from kubelite.client.rest import Client
    from kubelite.client.watch import WatchEvent


class PatchType(StrEnum):
    """The patch formats, by their Content-Type."""

    JSON = "application/json-patch+json"
    MERGE = "application/merge-patch+json"
    STRATEGIC = "application/strategic-merge-patch+json"
    APPLY = "application/apply-patch+yaml"


@dataclass(slots=True, frozen=True)
class APIResource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
            if subresource:
                base += f"/{subresource}"
        return base

    @classmethod
    def from_type(cls, rt: ResourceType) -> APIResource:
        return cls(rt.group, rt.version, rt.plural, rt.kind, rt.namespaced)


_CATALOG = None


def find_resource(plural: str, *, group: str = "", version: str | None = None) -> APIResource:
    """The built-in resource `plural` in `group` (first-listed version unless given)."""
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = default_catalog()
    for rt in _CATALOG:
        if rt.plural == plural and rt.group == group and version in (None, rt.version):
            return APIResource.from_type(rt)
    raise KeyError(f"no built-in resource {plural!r} in group {group!r}")


def _selector(value: str | dict[str, str] | None) -> str | None:
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return value


class APIClient(Protocol):
    """What components need of a client: typed access per resource. `Client` is one;
    `kubelite.client.testing.FakeClient` is another, backed by an in-memory cluster."""

    @property
    def namespace(self) -> str: ...

    def resource(self, plural: str, *, group: str = "", version: str | None = None) -> ResourceClient: ...

    def for_resource(self, resource: APIResource) -> ResourceClient: ...

    def derive(self, *, user_agent: str, qps: float, burst: int) -> APIClient:
        """A client sharing this one's connections, with its own rate limit and user agent."""
        ...


class ResourceClient:
    def __init__(self, client: Client, resource: APIResource) -> None:
        self.client = client
        self.resource = resource

    def _ns(self, namespace: str | None, obj: Object | None = None) -> str | None:
        if not self.resource.namespaced:
            return None
        if namespace:
            return namespace
        meta_ns = (obj or {}).get("metadata", {}).get("namespace")
        return meta_ns or self.client.namespace

    async def _request(self, method: str, path: str, **kwargs: Any) -> Object:
        """A request whose reply is an object (every resource endpoint's is)."""
        reply: Object = await self.client.request(method, path, **kwargs)
        return reply

    def _with_type(self, obj: Object) -> Object:
        obj.setdefault("apiVersion", self.resource.api_version)
        obj.setdefault("kind", self.resource.kind)
        return obj

    # ---- reads ----

    async def get(self, name: str, *, namespace: str | None = None, subresource: str | None = None) -> Object:
        return await self._request("GET", self.resource.path(self._ns(namespace), name, subresource))

    async def list(
        self,
        *,
        namespace: str | None = None,
        label_selector: str | dict[str, str] | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
    ) -> Object:
        """One page of a list (a `...List` object with `metadata.continue` if more remain)."""
        params = {
            "labelSelector": _selector(label_selector),
            "fieldSelector": field_selector,
            "limit": limit,
            "continue": continue_,
            "resourceVersion": resource_version,
            "resourceVersionMatch": resource_version_match,
        }
        path = self.resource.path(namespace if self.resource.namespaced else None)
        return await self._request("GET", path, params=params)

    async def list_all(self, *, page_size: int = 500, **kwargs: Any) -> tuple[Objects, str]:
        """Every item across pages, and the list's resourceVersion (the first page's snapshot)."""
        items: Objects = []
        async for page in self.pages(page_size=page_size, **kwargs):
            items.extend(page["items"])
            rv = page["metadata"].get("resourceVersion", "")
        return items, rv

    async def pages(self, *, page_size: int = 500, **kwargs: Any) -> AsyncIterator[Object]:
        """Yield list pages, following `continue` tokens until the last page."""
        token = None
        while True:
            page = await self.list(limit=page_size, continue_=token, **kwargs)
            yield page
            token = page.get("metadata", {}).get("continue")
            if not token:
                return
            kwargs.pop("resource_version", None)  # the continue token pins the snapshot
            kwargs.pop("resource_version_match", None)

    def watch(
        self,
        *,
        namespace: str | None = None,
        resource_version: str | None = None,
        label_selector: str | dict[str, str] | None = None,
        field_selector: str | None = None,
        allow_bookmarks: bool = True,
        timeout_seconds: int | None = None,
        send_initial_events: bool | None = None,
    ) -> AbstractAsyncContextManager[AsyncIterator[WatchEvent]]:
        """An async context manager yielding `WatchEvent`s: `async with r.watch() as events`."""
        params: dict[str, Any] = {
            "resourceVersion": resource_version,
            "labelSelector": _selector(label_selector),
            "fieldSelector": field_selector,
            "allowWatchBookmarks": allow_bookmarks or None,
            "timeoutSeconds": timeout_seconds,
        }
        if send_initial_events:
            params.update(sendInitialEvents=True, resourceVersionMatch="NotOlderThan")
        path = self.resource.path(namespace if self.resource.namespaced else None)
        return self.client.watch_stream(path, params)

    # ---- writes ----

    async def create(
        self,
        obj: Object,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        name: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
    ) -> Object:
        """POST; with `subresource` (e.g. binding, eviction) the parent's `name` is required."""
        ns = self._ns(namespace, obj)
        path = self.resource.path(ns, name, subresource) if subresource else self.resource.path(ns)
        body = obj if subresource else self._with_type(obj)
        params = _write_params(dry_run, field_manager)
        return await self._request("POST", path, body=body, params=params)

    async def update(
        self,
        obj: Object,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
    ) -> Object:
        """PUT; carries metadata.resourceVersion, so a stale object is a 409 Conflict."""
        name = obj["metadata"]["name"]
        path = self.resource.path(self._ns(namespace, obj), name, subresource)
        return await self._request(
            "PUT", path, body=self._with_type(obj), params=_write_params(dry_run, field_manager)
        )

    async def patch(
        self,
        name: str,
        patch: Any,
        *,
        patch_type: PatchType = PatchType.MERGE,
        namespace: str | None = None,
        subresource: str | None = None,
        field_manager: str | None = None,
        force: bool | None = None,
        dry_run: bool = False,
    ) -> Object:
        params = {**_write_params(dry_run, field_manager), "force": force}
        body = patch.encode() if isinstance(patch, str) else patch
        return await self._request(
            "PATCH",
            self.resource.path(self._ns(namespace), name, subresource),
            body=body,
            params=params,
            content_type=patch_type.value,
        )

    async def delete(
        self,
        name: str,
        *,
        namespace: str | None = None,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        preconditions: dict[str, str] | None = None,
        dry_run: bool = False,
    ) -> Object:
        """DELETE; returns the deleted object, or the object still finalizing, or a Status."""
        body = _delete_options(grace_period_seconds, propagation_policy, preconditions, dry_run)
        return await self._request("DELETE", self.resource.path(self._ns(namespace), name), body=body)

    async def delete_collection(
        self,
        *,
        namespace: str | None = None,
        label_selector: str | dict[str, str] | None = None,
        field_selector: str | None = None,
        propagation_policy: str | None = None,
    ) -> Object:
        params = {"labelSelector": _selector(label_selector), "fieldSelector": field_selector}
        body = _delete_options(None, propagation_policy, None, False)
        path = self.resource.path(namespace if self.resource.namespaced else None)
        return await self._request("DELETE", path, params=params, body=body)


def _write_params(dry_run: bool, field_manager: str | None) -> dict[str, Any]:
    return {"dryRun": "All" if dry_run else None, "fieldManager": field_manager}


def _delete_options(
    grace: int | None, propagation: str | None, preconditions: dict[str, str] | None, dry_run: bool
) -> Object | None:
    opts: Object = {}
    if grace is not None:
        opts["gracePeriodSeconds"] = grace
    if propagation:
        opts["propagationPolicy"] = propagation
    if preconditions:
        opts["preconditions"] = preconditions
    if dry_run:
        opts["dryRun"] = ["All"]
    if not opts:
        return None
    return {"kind": "DeleteOptions", "apiVersion": "v1", **opts}
