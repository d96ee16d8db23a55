"""Service account tokens for projected volumes, requested from the API server with a
TokenRequest bound to the pod and kept until they need refreshing, as Kubernetes' token
manager does: once 80% of a token's lifetime has passed, or it is 24 h old (a little
earlier, by up to 10 s of jitter), the next pod sync requests a new one. Tokens are
forgotten with their pod.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from kubelite.api.meta import parse_time
from kubelite.api.types import Object
from kubelite.kubelet.volumes.sources import VolumeSources
from kubelite.util.clock import Clock

MAX_TTL = 24 * 3600.0
MAX_JITTER = 10.0


@dataclass(slots=True)
class _Token:
    token: str
    expires: float  # wall seconds
    ttl: float


class TokenManager:
    def __init__(self, sources: VolumeSources, clock: Clock) -> None:
        self.sources = sources
        self.clock = clock
        self._cache: dict[tuple[str, ...], _Token] = {}

    def _needs_refresh(self, t: _Token) -> bool:
        now, jitter = self.clock.wall(), random.uniform(0, MAX_JITTER)
        issued = t.expires - t.ttl
        return now > issued + MAX_TTL - jitter or now > t.expires - t.ttl * 0.2 - jitter

    async def token(self, pod: Object, service_account: str, audience: str, expiration: int) -> str:
        md = pod["metadata"]
        ns, uid = md.get("namespace", "default"), md.get("uid", "")
        key = (uid, ns, service_account, audience, str(expiration))
        cached = self._cache.get(key)
        if cached is not None and not self._needs_refresh(cached):
            return cached.token
        request: Object = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {
                "audiences": [audience] if audience else None,
                "expirationSeconds": expiration,
                "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": md["name"], "uid": uid},
            },
        }
        out = await self.sources.token(ns, service_account, request)
        status, spec = out.get("status") or {}, out.get("spec") or {}
        ttl = float(spec.get("expirationSeconds") or expiration)
        stamp = status.get("expirationTimestamp")
        expires = parse_time(stamp).timestamp() if stamp else self.clock.wall() + ttl
        self._cache[key] = _Token(status.get("token", ""), expires, ttl)
        return self._cache[key].token

    def forget(self, uid: str) -> None:
        for key in [k for k in self._cache if k[0] == uid]:
            del self._cache[key]
