"""Who may use the kubelet's API: authentication, the request's attributes, authorization.

Every request on the secure port passes this chain, as on the Kubernetes kubelet:

```
TLS client certificate verified against --client-ca-file → user = CN, groups = O values
  (no certificate, anonymous off)            → 401 "Unauthorized"
attributes: verb from the method (GET get, POST create, PUT update, PATCH patch,
            DELETE delete), resource nodes, name = this node, subresource from the path:
            /stats… stats, /metrics… metrics, /logs… log, anything else proxy
authorizer says no                           → 403 "Forbidden (user=…, verb=…, resource=nodes,
                                               subresource(s)=[proxy])"
```

Authorizers are a Protocol: `AlwaysAllow` (the kubelet's --authorization-mode=AlwaysAllow),
and `SuperuserAuthorizer`, which allows the `system:masters` group - the API server's own
kubelet client certificate - and nobody else. The latter stands in for Kubernetes' Webhook
mode until the API server serves SubjectAccessReview (follow-up: a `WebhookAuthorizer`
asking the API server, with its 5 min / 30 s caches, and bearer tokens through TokenReview).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
SUPERUSER_GROUP = "system:masters"


@dataclass(slots=True, frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: dict[str, list[str]] = field(default_factory=dict)


ANONYMOUS = User("system:anonymous", ("system:unauthenticated",))


@dataclass(slots=True, frozen=True)
class Attributes:
    """What a request asks of the node, in the terms of an API authorization check."""

    user: User
    verb: str
    name: str  # the node
    subresource: str
    path: str
    resource: str = "nodes"
    api_version: str = "v1"


class Authorizer(Protocol):
    async def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        """(allowed, reason). Must not raise for a denial; may be called concurrently."""
        ...


class AlwaysAllow:
    async def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        return True, ""


class SuperuserAuthorizer:
    async def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        if SUPERUSER_GROUP in attrs.user.groups:
            return True, ""
        return False, f"{attrs.user.name} is not in {SUPERUSER_GROUP}"


def _is_subpath(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def attributes(user: User, method: str, path: str, node: str) -> Attributes:
    sub = "proxy"
    if _is_subpath(path, "/stats"):
        sub = "stats"
    elif _is_subpath(path, "/metrics"):
        sub = "metrics"
    elif _is_subpath(path, "/logs"):
        sub = "log"
    return Attributes(user, VERBS.get(method, ""), node, sub, path)


def certificate_user(request: web.BaseRequest) -> User | None:
    """The user of the client certificate the TLS handshake verified, if any."""
    transport = request.transport
    sslobj: ssl.SSLObject | None = transport.get_extra_info("ssl_object") if transport else None
    cert = sslobj.getpeercert() if sslobj is not None else None
    if not cert:
        return None
    cn, orgs = "", []
    subject: Any = cert.get("subject", ())
    for rdn in subject:
        for key, value in rdn:
            if key == "commonName":
                cn = value
            elif key == "organizationName":
                orgs.append(value)
    if not cn:
        return None
    return User(cn, tuple(dict.fromkeys((*orgs, "system:authenticated"))))


def auth_middleware(node: str, authorizer: Authorizer, *, anonymous: bool = False) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        user = certificate_user(request)
        if user is None:
            if not anonymous:
                return web.Response(status=401, text="Unauthorized")
            user = ANONYMOUS
        attrs = attributes(user, request.method, request.path, node)
        allowed, _ = await authorizer.authorize(attrs)
        if not allowed:
            return web.Response(
                status=403,
                text=f"Forbidden (user={user.name}, verb={attrs.verb}, resource={attrs.resource}, "
                f"subresource(s)=[{attrs.subresource}])\n",
            )
        response: web.StreamResponse = await handler(request)
        return response

    return middleware
