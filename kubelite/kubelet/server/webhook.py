"""The kubelet's Webhook authentication and authorization: asking the API server.

- Bearer tokens: a TokenReview (`authentication.k8s.io/v1`) says whose token it is;
  answers are kept 2 minutes (the kubelet's `authentication.webhook.cacheTTL`).
- Every request: a SubjectAccessReview (`authorization.k8s.io/v1`) asks whether the user may
  do the request's verb on `nodes/<subresource>` of this node; allowed answers are kept 5
  minutes, denials 30 seconds (`authorization.webhook.cacheAuthorizedTTL` /
  `cacheUnauthorizedTTL`).

Both go through the kubelet's own API client (its identity: system:node:NAME). A review that
fails (the API server unreachable) is an error, not a denial: the kubelet answers 500
"Authorization error (...)", as Kubernetes' does.
"""

from __future__ import annotations

from typing import Any

from kubelite.api.types import Object
from kubelite.kubelet.server.auth import Attributes, User
from kubelite.util.clock import Clock

TOKEN_TTL = 120.0
ALLOWED_TTL = 300.0
DENIED_TTL = 30.0


class WebhookError(Exception):
    """The API server could not answer a review."""


class _TTLCache:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._entries: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> tuple[bool, Any]:
        hit = self._entries.get(key)
        if hit is None or hit[0] <= self._clock.now():
            self._entries.pop(key, None)
            return False, None
        return True, hit[1]

    def put(self, key: Any, value: Any, ttl: float) -> None:
        if len(self._entries) > 10_000:  # a bound on what many clients can make it hold
            self._entries.clear()
        self._entries[key] = (self._clock.now() + ttl, value)


class WebhookTokenAuthenticator:
    def __init__(self, client: Any, clock: Clock) -> None:
        self._reviews = client.resource("tokenreviews", group="authentication.k8s.io", version="v1")
        self._cache = _TTLCache(clock)

    async def authenticate(self, token: str) -> User | None:
        found, user = self._cache.get(token)
        if found:
            return user  # type: ignore[no-any-return]
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
        try:
            review: Object = await self._reviews.create(body)
        except Exception as err:
            raise WebhookError(f"token review: {err}") from err
        status = review.get("status") or {}
        reviewed: User | None = None
        if status.get("authenticated"):
            u = status.get("user") or {}
            reviewed = User(
                u.get("username", ""), tuple(u.get("groups") or ()), u.get("uid", ""), u.get("extra") or {}
            )
        self._cache.put(token, reviewed, TOKEN_TTL)
        return reviewed


class WebhookAuthorizer:
    def __init__(self, client: Any, clock: Clock) -> None:
        self._reviews = client.resource("subjectaccessreviews", group="authorization.k8s.io", version="v1")
        self._cache = _TTLCache(clock)

    async def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        u = attrs.user
        key = (u.name, u.uid, u.groups, attrs.verb, attrs.subresource, attrs.name)
        found, answer = self._cache.get(key)
        if found:
            return answer  # type: ignore[no-any-return]
        spec: Object = {
            "user": u.name,
            "groups": list(u.groups),
            "resourceAttributes": {
                "verb": attrs.verb,
                "group": "",
                "version": attrs.api_version,
                "resource": attrs.resource,
                "subresource": attrs.subresource,
                "name": attrs.name,
            },
        }
        if u.uid:
            spec["uid"] = u.uid
        if u.extra:
            spec["extra"] = u.extra
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec}
        try:
            review: Object = await self._reviews.create(body)
        except Exception as err:
            raise WebhookError(f"subject access review: {err}") from err
        status = review.get("status") or {}
        answer = (bool(status.get("allowed")), str(status.get("reason", "")))
        self._cache.put(key, answer, ALLOWED_TTL if answer[0] else DENIED_TTL)
        return answer
