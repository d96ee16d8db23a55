"""Who may use the kubelet's API: authentication, the request's attributes, authorization.

Every request on the secure port passes this chain, as on the Kubernetes kubelet:

```
TLS client certificate verified against --client-ca-file → user = CN, groups = O values
or a bearer token a TokenAuthenticator knows (webhook.py: a TokenReview)
  (neither, anonymous off)                   → 401 "Unauthorized"
attributes: verb from the method (GET get, POST create, PUT update, PATCH patch,
            DELETE delete), resource nodes, name = this node, subresource from the path:
            /stats… stats, /metrics… metrics, /logs… log, anything else proxy
authorizer says no                           → 403 "Forbidden (user=…, verb=…, resource=nodes,
                                               subresource(s)=[proxy])"
authorizer cannot answer                     → 500 "Authorization error (user=…, …)"
```

Authorizers are a Protocol: `AlwaysAllow` (--authorization-mode=AlwaysAllow) and
webhook.py's `WebhookAuthorizer` (Webhook, the default: a SubjectAccessReview per request,
cached).
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

log = logging.getLogger("kubelite.kubelet.server")

VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


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


class TokenAuthenticator(Protocol):
    async def authenticate(self, token: str) -> User | None:
        """The token's user; None for a token nobody issued. Raises when it cannot tell."""
        ...


class AlwaysAllow:
    async def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        return True, ""


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


async def _user(request: web.Request, tokens: TokenAuthenticator | None, anonymous: bool) -> User | None:
    user = certificate_user(request)
    header = request.headers.get("Authorization", "")
    if user is None and tokens is not None and header.startswith("Bearer "):
        try:
            user = await tokens.authenticate(header[7:].strip())
        except Exception:
            log.warning("unable to authenticate a request's bearer token", exc_info=True)
            return None
    if user is None and anonymous:
        return ANONYMOUS
    return user


def auth_middleware(
    node: str, authorizer: Authorizer, *, tokens: TokenAuthenticator | None = None, anonymous: bool = False
) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        user = await _user(request, tokens, anonymous)
        if user is None:
            return web.Response(status=401, text="Unauthorized")
        attrs = attributes(user, request.method, request.path, node)
        try:
            allowed, _ = await authorizer.authorize(attrs)
        except Exception:
            log.warning("authorization failed", exc_info=True)
            return web.Response(
                status=500,
                text=f"Authorization error (user={user.name}, verb={attrs.verb}, resource={attrs.resource}, "
                f"subresource={attrs.subresource})",
            )
        if not allowed:
            return web.Response(
                status=403,
                text=f"Forbidden (user={user.name}, verb={attrs.verb}, resource={attrs.resource}, "
                f"subresource(s)=[{attrs.subresource}])\n",
            )
        response: web.StreamResponse = await handler(request)
        return response

    return middleware
