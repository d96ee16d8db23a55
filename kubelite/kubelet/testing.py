"""Fakes for testing the kubelet without an API server or a container runtime.

`FakeAPI` keeps objects in memory behind the few verbs the kubelet uses (get, create,
update with resourceVersion checks, merge patch, delete), with a switch that makes every
call fail as an unreachable API server would. `FakeRuntime` is an in-memory CRI runtime
whose containers run on the test's clock; it lives in `fakeruntime.py` (its own concept)
and is re-exported here, so tests take every kubelet fake from this module.
"""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api.errors import AlreadyExists, Conflict, NotFound, ServiceUnavailable
from kubelite.api.mergepatch import merge_patch
from kubelite.api.types import Object
from kubelite.kubelet.fakeruntime import Behaviour, Call, FakeRuntime

__all__ = ["Behaviour", "Call", "FakeAPI", "FakeResource", "FakeReviews", "FakeRuntime"]


class FakeAPI:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], Object] = {}  # (plural, namespace, name)
        self.revision = 0
        self.unreachable = False
        self.calls: list[tuple[str, str, str]] = []  # (verb, plural, name)

    def resource(self, plural: str, *, group: str = "", version: str | None = None) -> FakeResource:
        return FakeResource(self, plural)


class FakeResource:
    def __init__(self, api: FakeAPI, plural: str) -> None:
        self.api = api
        self.plural = plural

    def _check(self, verb: str, name: str) -> None:
        self.api.calls.append((verb, self.plural, name))
        if self.api.unreachable:
            raise ServiceUnavailable("the API server is unreachable")

    def _key(self, name: str, namespace: str | None) -> tuple[str, str, str]:
        return (self.plural, namespace or "", name)

    def _store(self, key: tuple[str, str, str], obj: Object) -> Object:
        self.api.revision += 1
        obj["metadata"]["resourceVersion"] = str(self.api.revision)
        self.api.objects[key] = obj
        return copy.deepcopy(obj)

    async def get(self, name: str, *, namespace: str | None = None, subresource: str | None = None) -> Object:
        self._check("get", name)
        obj = self.api.objects.get(self._key(name, namespace))
        if obj is None:
            raise NotFound(f'{self.plural} "{name}" not found')
        return copy.deepcopy(obj)

    async def create(self, obj: Object, *, namespace: str | None = None, **_: Any) -> Object:
        name = obj["metadata"]["name"]
        self._check("create", name)
        key = self._key(name, namespace or obj["metadata"].get("namespace"))
        if key in self.api.objects:
            raise AlreadyExists(f'{self.plural} "{name}" already exists')
        obj = copy.deepcopy(obj)
        obj["metadata"].setdefault("uid", f"uid-{self.plural}-{name}")
        return self._store(key, obj)

    async def update(self, obj: Object, *, namespace: str | None = None, **_: Any) -> Object:
        name = obj["metadata"]["name"]
        self._check("update", name)
        key = self._key(name, namespace or obj["metadata"].get("namespace"))
        cur = self.api.objects.get(key)
        if cur is None:
            raise NotFound(f'{self.plural} "{name}" not found')
        if obj["metadata"].get("resourceVersion") != cur["metadata"]["resourceVersion"]:
            raise Conflict(f'the object has been modified: {self.plural} "{name}"')
        return self._store(key, copy.deepcopy(obj))

    async def patch(self, name: str, patch: Any, *, namespace: str | None = None, **_: Any) -> Object:
        self._check("patch", name)
        key = self._key(name, namespace)
        cur = self.api.objects.get(key)
        if cur is None:
            raise NotFound(f'{self.plural} "{name}" not found')
        return self._store(key, merge_patch(cur, patch))

    async def delete(self, name: str, *, namespace: str | None = None, **_: Any) -> Object:
        self._check("delete", name)
        obj = self.api.objects.pop(self._key(name, namespace), None)
        if obj is None:
            raise NotFound(f'{self.plural} "{name}" not found')
        return obj


class FakeReviews:
    """An API server's review APIs for the kubelet's webhooks: TokenReviews answered from
    `tokens` (token → user, groups), SubjectAccessReviews by `allow(review spec)`; every
    review asked is kept in `asked`; `unreachable` makes them fail."""

    def __init__(self, allow: Any, tokens: dict[str, tuple[str, list[str]]] | None = None) -> None:
        self.allow = allow
        self.tokens = tokens or {}
        self.asked: list[Object] = []
        self.unreachable = False

    def resource(self, plural: str, *, group: str = "", version: str | None = None) -> Any:
        return _Reviews(self, plural)


class _Reviews:
    def __init__(self, api: FakeReviews, plural: str) -> None:
        self.api, self.plural = api, plural

    async def create(self, body: Object, **_: Any) -> Object:
        if self.api.unreachable:
            raise ServiceUnavailable("the API server is unreachable")
        self.api.asked.append(copy.deepcopy(body))
        spec = body["spec"]
        if self.plural == "tokenreviews":
            found = self.api.tokens.get(spec["token"])
            user = {"username": found[0], "groups": found[1]} if found else {}
            return {**body, "status": {"authenticated": bool(found), "user": user}}
        return {**body, "status": {"allowed": bool(self.api.allow(spec))}}
