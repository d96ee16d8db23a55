"""OIDC discovery of the service account issuer: what lets another system check the
cluster's service account tokens on its own (kube-apiserver's ServiceAccountIssuerDiscovery).

    GET /.well-known/openid-configuration   {issuer, jwks_uri, response_types_supported: [id_token],
                                             subject_types_supported: [public],
                                             id_token_signing_alg_values_supported: [the key's alg]}
    GET /openid/v1/jwks                     the public keys tokens are checked with
                                            (application/jwk-set+json)

`jwks_uri` is --service-account-jwks-uri, else https://<the advertised address>/openid/v1/jwks,
as kube-apiserver builds it from its external address. Both need an authenticated client, as
kube-apiserver's default authorization has it until RBAC binds them to anyone.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from kubelite.apiserver.serviceaccounts import TokenIssuer

CONFIGURATION_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/openid/v1/jwks"


def add_routes(app: web.Application, issuer: TokenIssuer, external_address: str) -> None:
    jwks_uri = issuer.options.jwks_uri or f"https://{external_address}{JWKS_PATH}"
    algorithms = sorted({issuer.signer.alg})
    configuration = orjson.dumps(
        {
            "issuer": issuer.issuer,
            "jwks_uri": jwks_uri,
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algorithms,
        }
    )
    keys = orjson.dumps(issuer.jwks())

    async def configuration_handler(request: web.Request) -> web.Response:
        return web.Response(body=configuration, content_type="application/json")

    async def jwks_handler(request: web.Request) -> web.Response:
        return web.Response(body=keys, content_type="application/jwk-set+json")

    app.router.add_get(CONFIGURATION_PATH, configuration_handler)
    app.router.add_get(JWKS_PATH, jwks_handler)
