"""`POST serviceaccounts/{name}/token` (authentication.k8s.io/v1 TokenRequest): a signed,
bound token for a service account - what `kubectl create token` and the kubelet ask for.

    spec.audiences           default: the API server's audiences (--api-audiences)
    spec.expirationSeconds   default 3600; at least 600 ("may not specify a duration less
                             than 10 minutes") and at most 2^32; capped by
                             --service-account-max-token-expiration
    spec.boundObjectRef      a Pod (running as this service account), Secret or Node of
                             the namespace: the token dies with it; a stated uid must match
                             (409 otherwise)

The answer (201) is the request with its defaults filled in and `status.token`,
`status.expirationTimestamp` (now + the requested seconds). The service account must exist
(404). The token's claims are kubelite.api.serviceaccounttoken's; serviceaccounts.py signs.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from aiohttp import web

from kubelite.api import errors, meta
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.request import RequestInfo, decode_object, read_body, request_context
from kubelite.apiserver.responses import json_response
from kubelite.apiserver.serviceaccounts import TokenIssuer

TOKEN_ISSUER = web.AppKey("token-issuer", TokenIssuer)
DEFAULT_SECONDS = 3600
MIN_SECONDS = 600
MAX_SECONDS = 1 << 32
_BINDABLE = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}


def _validate(spec: dict[str, Any], name: str) -> None:
    seconds = spec.get("expirationSeconds")
    errs = []
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        errs.append(errors.invalid("spec.expirationSeconds", seconds, "must be an integer"))
    elif seconds < MIN_SECONDS:
        errs.append(
            errors.invalid(
                "spec.expirationSeconds", seconds, "may not specify a duration less than 10 minutes"
            )
        )
    elif seconds > MAX_SECONDS:
        errs.append(
            errors.invalid(
                "spec.expirationSeconds", seconds, "may not specify a duration larger than 2^32 seconds"
            )
        )
    if errs:
        raise errors.invalid_object("TokenRequest", "authentication.k8s.io", name, errs)


def _bound_object(
    registry: Registry, namespace: str, account: str, ref: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    kind = ref.get("kind", "")
    api_version = ref.get("apiVersion", "v1") or "v1"
    if kind not in _BINDABLE or api_version != "v1":
        group_version = api_version if "/" in api_version else f"/{api_version}"
        raise errors.BadRequest(f"cannot bind token to object of type {group_version}, Kind={kind}")
    plural = _BINDABLE[kind]
    rt = registry.catalog.get("", "v1", plural)
    assert rt is not None
    found = registry.peek(rt, namespace if rt.namespaced else "", ref.get("name", ""))
    if found is None:
        raise errors.not_found(plural, "", ref.get("name", ""))
    obj = found.obj
    if kind == "Pod" and (obj.get("spec") or {}).get("serviceAccountName") != account:
        why = "to pod running with different serviceaccount name."
        raise errors.BadRequest(f'cannot bind token for serviceaccount "{account}" {why}')
    uid = ref.get("uid")
    if uid and uid != obj["metadata"].get("uid"):
        raise errors.conflict(
            kind,
            "",
            ref.get("name", ""),
            f"the UID in the bound object reference ({uid}) does not match the UID in record. "
            "The object might have been deleted and then recreated",
        )
    return kind, obj


async def create_token(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    issuer = request.app.get(TOKEN_ISSUER)
    if issuer is None:  # no signing key: Kubernetes does not serve the subresource then
        raise errors.path_not_found()
    ctx = request_context(request)
    body = decode_object(await read_body(request), request.headers.get("Content-Type", ""))
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    if not spec.get("audiences"):
        spec["audiences"] = list(issuer.audiences)
    if spec.get("expirationSeconds") is None:
        spec["expirationSeconds"] = DEFAULT_SECONDS
    spec.setdefault("boundObjectRef", None)
    _validate(spec, info.name)
    await registry.fresh()
    account = registry.peek(info.rt, info.namespace, info.name)
    if account is None:
        raise errors.not_found("serviceaccounts", "", info.name)
    bound: dict[str, dict[str, Any]] = {}
    if spec.get("boundObjectRef"):
        kind, obj = _bound_object(registry, info.namespace, info.name, spec["boundObjectRef"])
        bound[kind.lower()] = obj
    now = time.time()
    token = issuer.issue(
        namespace=info.namespace,
        account=account.obj,
        audiences=list(spec["audiences"]),
        seconds=int(spec["expirationSeconds"]),
        now=now,
        **bound,
    )
    md = body.setdefault("metadata", {})
    md.update({"name": info.name, "namespace": info.namespace})
    md.setdefault("creationTimestamp", None)
    out = {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": md,
        "spec": spec,
        "status": {
            "token": token,
            "expirationTimestamp": meta.format_wall(now + int(spec["expirationSeconds"])),
        },
    }
    return json_response(orjson.dumps(out), 201, ctx)
