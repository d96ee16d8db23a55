"""The API server's service account tokens: issuing them (TokenRequest) and believing them.

    TokenIssuer
      options      --service-account-issuer (the first signs; all are accepted),
                   --service-account-signing-key-file, --service-account-key-file,
                   --api-audiences (default: the issuer), --service-account-max-token-expiration,
                   --service-account-extend-token-expiration
      issue()      a bound token for a service account, optionally bound to a pod, a secret
                   or a node (tokenrequest.py serves it as serviceaccounts/<name>/token)
      authenticate()  the user a bearer token stands for (authn.py asks), or None

A bound token is believed while what it names still exists with the same uid: its service
account, and its pod (not deleted more than 60 s ago), secret or node. A legacy token is
believed while its Secret exists and still holds it. The user is
`system:serviceaccount:<ns>:<name>` with the service account's uid, the groups
`system:serviceaccounts` and `system:serviceaccounts:<ns>`, and, for bound tokens, the
extra `authentication.kubernetes.io/{credential-id,pod-name,pod-uid,node-name,node-uid}`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelite.api import meta
from kubelite.api import serviceaccounttoken as sat
from kubelite.apiserver.authn import UserInfo, with_authenticated
from kubelite.apiserver.registry import Registry

DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local"
# A token the kubelet asks for with this lifetime is made valid for a year instead, and says
# when it would have expired (`warnafter`), so that clients that never refresh keep working.
WARN_ONLY_SECONDS = 3607
EXTENDED_SECONDS = 365 * 24 * 3600
DELETED_POD_GRACE = 60.0
_EXTRA = "authentication.kubernetes.io/"


@dataclass(slots=True)
class ServiceAccountOptions:
    issuers: tuple[str, ...] = (DEFAULT_ISSUER,)
    signing_key_file: Path | None = None
    key_files: tuple[Path, ...] = ()
    api_audiences: tuple[str, ...] = ()
    max_token_expiration: int = 0  # seconds; 0: no maximum
    extend_token_expiration: bool = True
    jwks_uri: str = ""


class TokenIssuer:
    def __init__(self, registry: Registry, options: ServiceAccountOptions) -> None:
        self.registry = registry
        self.options = options
        self.issuer = options.issuers[0]
        self.audiences = list(options.api_audiences or options.issuers)
        assert options.signing_key_file is not None
        key = sat.load_private_key(options.signing_key_file.read_bytes())
        self.signer = sat.Signer(key)
        public = [key.public_key()]
        for path in options.key_files:
            public += sat.load_public_keys(path.read_bytes())
        unique = {sat.key_id(k): k for k in public}
        self.public_keys = list(unique.values())
        self.verifier = sat.Verifier(self.public_keys, list(options.issuers), self.audiences)

    # ---- lookups in the watch cache -------------------------------------------------------

    def _get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        rt = self.registry.catalog.get("", "v1", plural)
        assert rt is not None
        found = self.registry.peek(rt, namespace, name)
        return None if found is None else found.obj

    # ---- issuing --------------------------------------------------------------------------

    def lifetime(self, requested: int, bound_to_pod: bool) -> tuple[int, int | None]:
        """(seconds the token is valid, seconds after which it warns) for a request."""
        if self.options.extend_token_expiration and requested == WARN_ONLY_SECONDS and bound_to_pod:
            return EXTENDED_SECONDS, WARN_ONLY_SECONDS
        if self.options.max_token_expiration and requested > self.options.max_token_expiration:
            return self.options.max_token_expiration, None
        return requested, None

    def issue(
        self,
        *,
        namespace: str,
        account: dict[str, Any],
        audiences: list[str],
        seconds: int,
        pod: dict[str, Any] | None = None,
        secret: dict[str, Any] | None = None,
        node: dict[str, Any] | None = None,
        now: float,
    ) -> str:
        valid, warn = self.lifetime(seconds, pod is not None)
        issued = int(now)
        if pod is not None and node is None and (pod.get("spec") or {}).get("nodeName"):
            node_of_pod = self._get("nodes", "", pod["spec"]["nodeName"])
        else:
            node_of_pod = None
        claims = sat.bound_claims(
            issuer=self.issuer,
            audiences=audiences,
            namespace=namespace,
            account=_ref(account),
            now=issued,
            expires=issued + valid,
            pod=_ref(pod) if pod is not None else None,
            secret=_ref(secret) if secret is not None else None,
            node=_ref(node) if node is not None else (_ref(node_of_pod) if node_of_pod is not None else None),
            warn_after=issued + warn if warn is not None else None,
        )
        return self.signer.sign(claims)

    # ---- believing ------------------------------------------------------------------------

    def authenticate_token(self, token: str) -> UserInfo | None:
        if token.count(".") != 2:
            return None
        claims = self.verifier.verify(token)
        if claims is None:
            return None
        if claims.get("iss") == sat.LEGACY_ISSUER:
            return self._legacy(token, claims)
        return self._bound(claims)

    def _account(self, namespace: str, name: str, uid: str) -> dict[str, Any] | None:
        sa = self._get("serviceaccounts", namespace, name)
        if sa is None or sa["metadata"].get("uid") != uid or sa["metadata"].get("deletionTimestamp"):
            return None
        return sa

    def _bound(self, claims: dict[str, Any]) -> UserInfo | None:
        private = claims.get("kubernetes.io") or {}
        namespace = private.get("namespace", "")
        ref = private.get("serviceaccount") or {}
        if self._account(namespace, ref.get("name", ""), ref.get("uid", "")) is None:
            return None
        extra: dict[str, list[str]] = {}
        if claims.get("jti"):
            extra[_EXTRA + "credential-id"] = [f"JTI={claims['jti']}"]
        if not self._bound_objects_exist(namespace, private, extra):
            return None
        return with_authenticated(
            UserInfo(
                sat.username(namespace, ref["name"]),
                ref.get("uid", ""),
                sat.groups(namespace),
                dict(sorted(extra.items())),
            )
        )

    def _bound_objects_exist(
        self, namespace: str, private: dict[str, Any], extra: dict[str, list[str]]
    ) -> bool:
        for kind, plural, ns in (
            ("pod", "pods", namespace),
            ("secret", "secrets", namespace),
            ("node", "nodes", ""),
        ):
            ref = private.get(kind)
            if not ref:
                continue
            obj = self._get(plural, ns, ref.get("name", ""))
            if obj is None or obj["metadata"].get("uid") != ref.get("uid"):
                return False
            deleted = obj["metadata"].get("deletionTimestamp")
            if deleted and kind != "node":
                since = dt.datetime.now(dt.UTC) - meta.parse_time(deleted)
                if kind == "secret" or since.total_seconds() > DELETED_POD_GRACE:
                    return False
            if kind in ("pod", "node"):
                extra[f"{_EXTRA}{kind}-name"] = [ref["name"]]
                extra[f"{_EXTRA}{kind}-uid"] = [ref["uid"]]
        return True

    def _legacy(self, token: str, claims: dict[str, Any]) -> UserInfo | None:
        prefix = "kubernetes.io/serviceaccount/"
        namespace = claims.get(prefix + "namespace", "")
        name = claims.get(prefix + "service-account.name", "")
        uid = claims.get(prefix + "service-account.uid", "")
        secret = self._get("secrets", namespace, claims.get(prefix + "secret.name", ""))
        if secret is None or secret["metadata"].get("deletionTimestamp"):
            return None
        stored = base64.b64decode((secret.get("data") or {}).get("token", "") or b"")
        if not hmac.compare_digest(stored, token.encode()):
            return None
        if self._account(namespace, name, uid) is None:
            return None
        return with_authenticated(UserInfo(sat.username(namespace, name), uid, sat.groups(namespace)))

    # ---- OIDC discovery -------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        return {"keys": [sat.jwk(k) for k in self.public_keys]}


def _ref(obj: dict[str, Any]) -> sat.Ref:
    return sat.Ref(obj["metadata"]["name"], obj["metadata"].get("uid", ""))
