"""A registry token issuer for tests: the other half of a registry's bearer-token auth.

A registry configured with `auth: token` answers an anonymous request with
`401 WWW-Authenticate: Bearer realm=...,service=...,scope=...`; the client asks the realm
for a token (with basic credentials), then retries with `Authorization: Bearer`. The
token is a JWT signed with a key whose certificate the registry trusts
(`rootcertbundle`), naming the issuer, the service (audience) and the granted access.

`TokenIssuer` is such a realm, small enough for tests: it knows one user, grants every
action asked for on any repository, signs RS256 JWTs carrying its certificate in `x5c`,
and counts the tokens it issued. Run it next to Docker's registry (distribution) with
`registry_auth_config()` in the registry's configuration.
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import time
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer:
    def __init__(
        self,
        *,
        username: str,
        password: str,
        service: str = "kubelite-registry",
        issuer: str = "kubelite-test",
    ) -> None:
        self.username, self.password = username, password
        self.service, self.issuer = service, issuer
        self.issued = 0
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])
        now = datetime.datetime.now(datetime.UTC)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(self._key, hashes.SHA256())
        )
        self._runner: web.AppRunner | None = None
        self.realm = ""

    @property
    def cert_pem(self) -> bytes:
        return self._cert.public_bytes(serialization.Encoding.PEM)

    def registry_auth_config(self, bundle_path: str) -> dict[str, Any]:
        """The `auth:` section of a distribution registry config trusting this issuer."""
        return {
            "token": {
                "realm": self.realm,
                "service": self.service,
                "issuer": self.issuer,
                "rootcertbundle": bundle_path,
            }
        }

    def mint(self, access: list[dict[str, Any]], subject: str) -> str:
        header = {
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [base64.b64encode(self._cert.public_bytes(serialization.Encoding.DER)).decode()],
        }
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def _authorized(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        return (user, password) == (self.username, self.password)

    async def _token(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"errors": [{"code": "UNAUTHORIZED"}]}, status=401)
        access = []
        for scope in request.query.getall("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        token = self.mint(access, self.username)
        self.issued += 1
        return web.json_response({"token": token, "access_token": token, "expires_in": 300})

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_get("/token", self._token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.realm = f"http://{bound[0]}:{bound[1]}/token"
        return self.realm

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
