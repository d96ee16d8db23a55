"""Authentication: who is making the request.

Tried in order, as Kubernetes chains its authenticators:

1. a client certificate verified against the cluster CA during the TLS handshake
   (user = subject CN, groups = subject O values);
2. a bearer token from the static token file (`token,user,uid,"group1,group2"` per line,
   the format of kube-apiserver's --token-auth-file);
3. a bearer token that is a service account token (serviceaccounts.py: signed by the
   cluster's service account key, and what it is bound to still there);
4. otherwise the request is anonymous (`system:anonymous`), which only the public
   paths (/version, /healthz, /livez, /readyz) accept until RBAC lands.

Every authenticated user also belongs to `system:authenticated`.

After authentication a request may ask to act as someone else with the `Impersonate-User`,
`Impersonate-Group`, `Impersonate-Uid` and `Impersonate-Extra-<key>` headers (kubectl
`--as`, `--as-group`); `impersonate` turns them into the user the request runs as. Every
authenticated user may impersonate until RBAC decides who may.
"""

from __future__ import annotations

import csv
import hmac
import io
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from aiohttp import web

from kubelite.api import errors


@dataclass(slots=True, frozen=True)
class UserInfo:
    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: dict[str, list[str]] = field(default_factory=dict)

    @property
    def anonymous(self) -> bool:
        return self.name == "system:anonymous"


ANONYMOUS = UserInfo("system:anonymous", groups=("system:unauthenticated",))
PUBLIC_PATHS = frozenset(
    {"/version", "/healthz", "/livez", "/readyz", "/version/", "/healthz/", "/livez/", "/readyz/"}
)


@dataclass(slots=True)
class StaticToken:
    token: str
    user: UserInfo


def load_token_file(path: Path) -> list[StaticToken]:
    out = []
    for row in csv.reader(io.StringIO(path.read_text())):
        if not row or row[0].startswith("#") or len(row) < 2:
            continue
        groups = tuple(g for g in (row[3].split(",") if len(row) > 3 else []) if g)
        out.append(
            StaticToken(
                row[0].strip(), UserInfo(row[1].strip(), row[2].strip() if len(row) > 2 else "", groups)
            )
        )
    return out


class TokenAuthenticator(Protocol):
    def authenticate_token(self, token: str) -> UserInfo | None:
        """The user the token stands for, or None when it is not one of this kind's."""
        ...


class Authenticator:
    """Who a request comes from: its client certificate, else its bearer token."""

    def __init__(
        self, tokens: list[StaticToken] | None = None, authenticators: Sequence[TokenAuthenticator] = ()
    ) -> None:
        self._tokens = tokens or []
        self.authenticators = list(authenticators)

    def authenticate(self, request: web.Request) -> UserInfo:
        user = self._from_certificate(request)
        if user is None:
            user = self._from_token(request)
        if user is None:
            return ANONYMOUS
        return with_authenticated(user)

    def _from_certificate(self, request: web.Request) -> UserInfo | None:
        transport = request.transport
        if transport is None:
            return None
        sslobj: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
        if sslobj is None:
            return None
        cert = sslobj.getpeercert()
        if not cert:
            return None
        cn, orgs = "", []
        subject: Any = cert.get("subject", ())  # ((("commonName", "x"),), ...)
        for rdn in subject:
            for key, value in rdn:
                if key == "commonName":
                    cn = value
                elif key == "organizationName":
                    orgs.append(value)
        return UserInfo(cn, groups=tuple(orgs)) if cn else None

    def _from_token(self, request: web.Request) -> UserInfo | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            if header:
                raise errors.Unauthorized("Unauthorized")
            return None
        user = self.authenticate_token(header[7:].strip())
        if user is None:
            raise errors.Unauthorized("Unauthorized")
        return user

    def authenticate_token(self, token: str) -> UserInfo | None:
        """The user a bearer token belongs to, or None (what a TokenReview asks)."""
        for st in self._tokens:
            if hmac.compare_digest(st.token, token):
                return with_authenticated(st.user)
        for a in self.authenticators:
            user = a.authenticate_token(token)
            if user is not None:
                return user
        return None


def with_authenticated(user: UserInfo) -> UserInfo:
    return UserInfo(
        user.name, user.uid, tuple(dict.fromkeys((*user.groups, "system:authenticated"))), user.extra
    )


_SA_PREFIX = "system:serviceaccount:"


def impersonate(user: UserInfo, headers: Mapping[str, str]) -> UserInfo:
    """The user the request acts as: `user` itself, or whom the Impersonate-* headers name."""
    name = headers.get("Impersonate-User", "")
    groups = headers.getall("Impersonate-Group", []) if hasattr(headers, "getall") else []
    uid = headers.get("Impersonate-Uid", "")
    extra: dict[str, list[str]] = {}
    for key in headers:
        if key.lower().startswith("impersonate-extra-"):
            values = headers.getall(key, []) if hasattr(headers, "getall") else [headers[key]]
            extra.setdefault(unquote(key[len("impersonate-extra-") :]).lower(), []).extend(values)
    if not name:
        if groups or uid or extra:
            raise errors.InternalError("requested impersonation of groups, uid or extra without a user")
        return user
    group_list = list(groups)
    if name.startswith(_SA_PREFIX):
        namespace = name[len(_SA_PREFIX) :].split(":", 1)[0]
        group_list += ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"]
    if name != ANONYMOUS.name:
        group_list.append("system:authenticated")
    return UserInfo(name, uid, tuple(dict.fromkeys(group_list)), extra)


# The application's authenticator, for handlers that authenticate more than their request
# (TokenReview).
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
