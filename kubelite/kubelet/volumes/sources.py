"""What the volumes read from the API server, behind a Protocol so unit tests hand in a
dict-backed fake: configMaps, secrets, service account tokens (TokenRequest), the
PersistentVolumeClaims and PersistentVolumes of claim volumes, and the Services of the
service link variables (from an informer)."""

from __future__ import annotations

import base64
from typing import Any, Protocol

from kubelite.api.errors import NotFound
from kubelite.api.types import Object
from kubelite.kubelet.volumes.errors import VolumeError
from kubelite.util.clock import Clock


class VolumeSources(Protocol):
    async def config_map(self, namespace: str, name: str) -> Object | None: ...
    async def secret(self, namespace: str, name: str) -> Object | None: ...
    async def token(self, namespace: str, service_account: str, request: Object) -> Object: ...
    async def claim(self, namespace: str, name: str) -> Object | None: ...
    async def persistent_volume(self, name: str) -> Object | None: ...
    def services(self) -> list[Object] | None:
        """Every Service from the kubelet's informer; None until its first list arrived."""
        ...


class APISources:
    """The real ones: GETs and TokenRequest creates through the kubelet's client. A GET's
    answer is reused for `ttl` seconds, so a burst of pods starting in one namespace (each
    with its kube-root-ca.crt) reads the object once, not once per pod and sync step."""

    def __init__(self, client: Any, clock: Clock, ttl: float = 1.0, service_informer: Any = None) -> None:
        self.service_informer = service_informer
        self.config_maps = client.resource("configmaps")
        self.secrets = client.resource("secrets")
        self.accounts = client.resource("serviceaccounts")
        self.claims = client.resource("persistentvolumeclaims")
        self.volumes = client.resource("persistentvolumes")
        self.clock = clock
        self.ttl = ttl
        self._cache: dict[tuple[str, str, str], tuple[float, Object | None]] = {}

    async def _get(self, kind: str, resource: Any, namespace: str, name: str) -> Object | None:
        key = (kind, namespace, name)
        hit = self._cache.get(key)
        if hit is not None and self.clock.now() - hit[0] < self.ttl:
            return hit[1]
        obj: Object | None
        try:
            obj = await resource.get(name, namespace=namespace)
        except NotFound:
            obj = None
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[key] = (self.clock.now(), obj)
        return obj

    async def config_map(self, namespace: str, name: str) -> Object | None:
        return await self._get("configmap", self.config_maps, namespace, name)

    async def secret(self, namespace: str, name: str) -> Object | None:
        return await self._get("secret", self.secrets, namespace, name)

    def services(self) -> list[Object] | None:
        informer = self.service_informer
        if informer is None:
            return []  # a kubelet without an API server's Services gives no service variables
        out: list[Object] | None = informer.lister.list() if informer.has_synced() else None
        return out

    async def claim(self, namespace: str, name: str) -> Object | None:
        return await self._get("claim", self.claims, namespace, name)

    async def persistent_volume(self, name: str) -> Object | None:
        return await self._get("volume", self.volumes, "", name)

    async def token(self, namespace: str, service_account: str, request: Object) -> Object:
        out: Object = await self.accounts.create(
            request, namespace=namespace, name=service_account, subresource="token"
        )
        return out


def config_map_data(cm: Object) -> dict[str, bytes]:
    data = {k: str(v).encode() for k, v in (cm.get("data") or {}).items()}
    data.update({k: base64.b64decode(v) for k, v in (cm.get("binaryData") or {}).items()})
    return data


def secret_data(secret: Object) -> dict[str, bytes]:
    data = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    data.update({k: str(v).encode() for k, v in (secret.get("stringData") or {}).items()})
    return data


async def read_config_map(sources: VolumeSources, namespace: str, source: Object) -> dict[str, bytes] | None:
    """The configMap's data; None when it is missing and optional."""
    cm = await sources.config_map(namespace, source.get("name", ""))
    if cm is None:
        if source.get("optional"):
            return None
        raise VolumeError(f'configmap "{source.get("name", "")}" not found')
    return config_map_data(cm)


async def read_secret(
    sources: VolumeSources, namespace: str, source: Object, *, name_key: str = "name"
) -> dict[str, bytes] | None:
    secret = await sources.secret(namespace, source.get(name_key, ""))
    if secret is None:
        if source.get("optional"):
            return None
        raise VolumeError(f'secret "{source.get(name_key, "")}" not found')
    return secret_data(secret)
