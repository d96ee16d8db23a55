"""Service account tokens: the JWTs Kubernetes gives workloads, signed and checked.

Two kinds exist, both signed with the service account key (kubelite's is ECDSA P-256, so
ES256; an RSA key signs RS256), their header naming the key by `kid` (the unpadded
base64url SHA-256 of the public key's DER, as Kubernetes computes it):

    bound (TokenRequest, the projected kube-api-access volume)
        iss  the --service-account-issuer           aud  the audiences asked for
        sub  system:serviceaccount:<ns>:<name>       iat, nbf, exp, jti
        kubernetes.io: {namespace, serviceaccount: {name, uid},
                        pod | secret | node: {name, uid}, node: {name, uid} of a pod's node,
                        warnafter}
    legacy (Secrets of type kubernetes.io/service-account-token, filled by the tokens controller)
        iss  kubernetes/serviceaccount  (no aud, no exp)
        sub  system:serviceaccount:<ns>:<name>
        kubernetes.io/serviceaccount/{namespace, secret.name, service-account.name,
                                      service-account.uid}

Signing and verification are PyJWT's; what a token must still be bound to (its pod, its
secret, its service account's uid) is the API server's authenticator's to check.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

LEGACY_ISSUER = "kubernetes/serviceaccount"
USER_PREFIX = "system:serviceaccount:"
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.S)
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def username(namespace: str, name: str) -> str:
    return f"{USER_PREFIX}{namespace}:{name}"


def groups(namespace: str) -> tuple[str, ...]:
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}")


def key_id(public: PublicKey) -> str:
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


def algorithm(key: PrivateKey | PublicKey) -> str:
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "RS256"
    return {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}[key.curve.name]


def load_private_key(pem: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise ValueError("a service account key must be an RSA or ECDSA key")
    return key


def load_public_keys(pem: bytes) -> list[PublicKey]:
    """The public keys of a PEM file holding private or public keys (--service-account-key-file)."""
    keys: list[PublicKey] = []
    for match in _PEM_BLOCK.finditer(pem):
        block, kind = match.group(0), match.group(1)
        if kind.endswith(b"PRIVATE KEY"):
            keys.append(load_private_key(block).public_key())
        elif kind.endswith(b"PUBLIC KEY"):
            public = serialization.load_pem_public_key(block)
            if isinstance(public, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
                keys.append(public)
    return keys


def jwk(public: PublicKey) -> dict[str, Any]:
    """The key as one entry of a JSON Web Key Set (/openid/v1/jwks)."""
    if isinstance(public, rsa.RSAPublicKey):
        data = RSAAlgorithm.to_jwk(public, as_dict=True)
    else:
        data = ECAlgorithm.to_jwk(public, as_dict=True)
    return {"use": "sig", **data, "kid": key_id(public), "alg": algorithm(public)}


@dataclass(frozen=True, slots=True)
class Ref:
    name: str
    uid: str


class Signer:
    def __init__(self, key: PrivateKey) -> None:
        self.key = key
        self.kid = key_id(key.public_key())
        self.alg = algorithm(key)

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm=self.alg, headers={"kid": self.kid})


def bound_claims(
    *,
    issuer: str,
    audiences: list[str],
    namespace: str,
    account: Ref,
    now: int,
    expires: int,
    pod: Ref | None = None,
    secret: Ref | None = None,
    node: Ref | None = None,
    warn_after: int | None = None,
) -> dict[str, Any]:
    private: dict[str, Any] = {"namespace": namespace}
    for key, ref in (("node", node), ("pod", pod), ("secret", secret)):
        if ref is not None:
            private[key] = {"name": ref.name, "uid": ref.uid}
    private["serviceaccount"] = {"name": account.name, "uid": account.uid}
    if warn_after is not None:
        private["warnafter"] = warn_after
    return {
        "aud": audiences,
        "exp": expires,
        "iat": now,
        "iss": issuer,
        "jti": str(uuid.uuid4()),
        "kubernetes.io": private,
        "nbf": now,
        "sub": username(namespace, account.name),
    }


def legacy_claims(namespace: str, account: Ref, secret_name: str) -> dict[str, Any]:
    return {
        "iss": LEGACY_ISSUER,
        "kubernetes.io/serviceaccount/namespace": namespace,
        "kubernetes.io/serviceaccount/secret.name": secret_name,
        "kubernetes.io/serviceaccount/service-account.name": account.name,
        "kubernetes.io/serviceaccount/service-account.uid": account.uid,
        "sub": username(namespace, account.name),
    }


class Verifier:
    """Checks a token's signature against the accepted keys, and its issuer, audience and
    times; answers its claims, or None for anything that is not a valid token of ours."""

    def __init__(self, keys: list[PublicKey], issuers: list[str], audiences: list[str]) -> None:
        self.keys = {key_id(k): k for k in keys}
        self.issuers = issuers
        self.audiences = audiences

    def verify(self, token: str) -> dict[str, Any] | None:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        issuer = unverified.get("iss")
        if issuer != LEGACY_ISSUER and issuer not in self.issuers:
            return None
        candidates = (
            [self.keys[header["kid"]]] if header.get("kid") in self.keys else list(self.keys.values())
        )
        for key in candidates:
            try:
                if issuer == LEGACY_ISSUER:
                    claims: dict[str, Any] = jwt.decode(
                        token, key, algorithms=[algorithm(key)], options={"verify_aud": False}
                    )
                else:
                    claims = jwt.decode(
                        token,
                        key,
                        algorithms=[algorithm(key)],
                        audience=self.audiences,
                        options={"require": ["exp", "iat", "nbf"]},
                    )
                return claims
            except jwt.PyJWTError:
                continue
        return None
