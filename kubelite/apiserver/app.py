"""The HTTP application: routing and the outer request chain.

TLS -> authentication -> (authorization: every authenticated user, until RBAC)
    -> route: /version, health, discovery, OpenAPI, or a resource handler
    -> any APIError becomes its Status; anything else a 500 Status, logged once
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware

import kubelite
from kubelite.api import errors
from kubelite.api.resources import ResourceCatalog
from kubelite.apiserver import discovery, openapi, openapi_v2
from kubelite.apiserver.authn import AUTHENTICATOR, PUBLIC_PATHS, Authenticator, impersonate
from kubelite.apiserver.dispatch import handler_for
from kubelite.apiserver.kubeletclient import KUBELET_CLIENT, KubeletClientOptions
from kubelite.apiserver.metrics import metrics_handler
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.request import MAX_REQUEST_BODY_BYTES, method_not_allowed, parse_path
from kubelite.apiserver.responses import json_response

log = logging.getLogger("kubelite.apiserver")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def version_info() -> dict[str, str]:
    v = kubelite.KUBERNETES_VERSION
    major, minor = v.lstrip("v").split(".")[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": v,
        "gitCommit": "kubelite-" + kubelite.__version__,
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.23",
        "compiler": "gc",
        "platform": "linux/amd64",
        "emulationMajor": major,
        "emulationMinor": minor,
        "minCompatibilityMajor": major,
        "minCompatibilityMinor": str(int(minor) - 1),
    }


def status_response(err: errors.APIError) -> web.Response:
    resp = web.Response(body=orjson.dumps(err.status()), status=err.code, content_type="application/json")
    for k, v in err.headers.items():
        resp.headers[k] = v
    return resp


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.APIError as err:
        return status_response(err)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return status_response(_from_http_exception(exc))
    except (ConnectionResetError, TimeoutError) as exc:
        if isinstance(exc, TimeoutError):
            return status_response(errors.Timeout("the request timed out waiting for storage"))
        raise
    except Exception:
        log.exception("unexpected error serving %s %s", request.method, request.path)
        return status_response(errors.InternalError("an internal error occurred; see the API server log"))


def _from_http_exception(exc: web.HTTPException) -> errors.APIError:
    """aiohttp's own refusals (no route, a body over the limit, ...) as Kubernetes Statuses."""
    if exc.status == 404:
        return errors.path_not_found()
    if exc.status == 405:
        return method_not_allowed()
    if exc.status == 413:
        return errors.RequestEntityTooLarge(f"Request entity too large: limit is {MAX_REQUEST_BODY_BYTES}")
    if exc.status == 400:
        return errors.BadRequest(exc.text or "the request could not be read")
    return errors.InternalError(exc.reason) if exc.status >= 500 else errors.BadRequest(exc.reason)


def auth_middleware(authn: Authenticator) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        user = authn.authenticate(request)
        if user.anonymous and request.path not in PUBLIC_PATHS:
            raise errors.Unauthorized("Unauthorized")
        request["user"] = impersonate(user, request.headers)
        return await handler(request)

    return middleware


class APIApp:
    def __init__(
        self,
        registry: Registry,
        catalog: ResourceCatalog,
        authn: Authenticator,
        server_address: str,
        health: Callable[[], Awaitable[dict[str, bool]]],
        kubelets: KubeletClientOptions | None = None,
    ) -> None:
        self.registry = registry
        self.catalog = catalog
        self.server_address = server_address
        self.health = health
        self.app = web.Application(
            middlewares=[error_middleware, auth_middleware(authn)], client_max_size=MAX_REQUEST_BODY_BYTES
        )
        self.app[KUBELET_CLIENT] = kubelets or KubeletClientOptions()
        self.app[AUTHENTICATOR] = authn
        r = self.app.router
        r.add_get("/version", self.version)
        r.add_get("/metrics", metrics_handler(registry.cache, catalog))
        r.add_get("/version/", self.version)
        for path in ("/healthz", "/livez", "/readyz"):
            r.add_get(path, self.healthz)
            r.add_get(path + "/", self.healthz)
            r.add_get(path + "/{check}", self.healthz_check)
        r.add_get("/api", self.api)
        r.add_get("/api/", self.api)
        r.add_get("/apis", self.apis)
        r.add_get("/apis/", self.apis)
        r.add_get("/openapi/v2", self.openapi_v2)
        r.add_get("/openapi/v3", self.openapi_index)
        r.add_get("/openapi/v3/", self.openapi_index)
        r.add_get("/openapi/v3/{gv:.+}", self.openapi_document)
        r.add_route("*", "/api/{tail:.*}", self.resource)
        r.add_route("*", "/apis/{tail:.*}", self.resource)

    # ---- non-resource endpoints --------------------------------------------------------

    async def version(self, request: web.Request) -> web.Response:
        return json_response(orjson.dumps(version_info()))

    async def healthz(self, request: web.Request) -> web.Response:
        checks = await self.health()
        ok = all(checks.values())
        if "verbose" in request.query:
            lines = [f"[{'+' if v else '-'}]{k} {'ok' if v else 'failed'}" for k, v in checks.items()]
            name = request.path.strip("/").split("/")[0]
            lines.append(f"{name} check {'passed' if ok else 'failed'}")
            return web.Response(
                text="\n".join(lines) + "\n", status=200 if ok else 500, content_type="text/plain"
            )
        return web.Response(
            text="ok" if ok else "not ok", status=200 if ok else 500, content_type="text/plain"
        )

    async def healthz_check(self, request: web.Request) -> web.Response:
        checks = await self.health()
        name = request.match_info["check"]
        if name not in checks:
            raise errors.path_not_found()
        return web.Response(
            text="ok" if checks[name] else "not ok",
            status=200 if checks[name] else 500,
            content_type="text/plain",
        )

    async def api(self, request: web.Request) -> web.Response:
        if discovery.wants_aggregated(request.headers.get("Accept")):
            return _aggregated(discovery.aggregated_core(self.catalog))
        return json_response(orjson.dumps(discovery.api_versions(self.catalog, self.server_address)))

    async def apis(self, request: web.Request) -> web.Response:
        if discovery.wants_aggregated(request.headers.get("Accept")):
            return _aggregated(discovery.aggregated_groups(self.catalog))
        return json_response(orjson.dumps(discovery.api_group_list(self.catalog)))

    async def openapi_v2(self, request: web.Request) -> web.Response:
        content_type = openapi_v2.negotiate(request.headers.get("Accept"))
        if content_type is None:
            return web.Response(status=406, headers={"Vary": "Accept"})
        doc = await asyncio.to_thread(openapi_v2.encoded, self.catalog)
        headers = {"ETag": doc.etag, "Vary": "Accept"}
        if doc.etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
        if content_type == openapi_v2.PROTOBUF:
            body = doc.protobuf_gzip if gzipped else doc.protobuf
        else:
            body = doc.json_gzip if gzipped else doc.json
        resp = web.Response(body=body, headers={"Content-Type": content_type, **headers})
        if gzipped:
            resp.headers["Content-Encoding"] = "gzip"
        return resp

    async def openapi_index(self, request: web.Request) -> web.Response:
        return json_response(orjson.dumps(openapi.index(self.catalog)))

    async def openapi_document(self, request: web.Request) -> web.Response:
        gv = request.match_info["gv"].strip("/")
        parts = gv.split("/")
        if parts[:1] == ["api"] and len(parts) == 2:
            group, version = "", parts[1]
        elif parts[:1] == ["apis"] and len(parts) == 3:
            group, version = parts[1], parts[2]
        else:
            raise errors.path_not_found()
        if (group, version) not in self.catalog.group_versions():
            raise errors.path_not_found()
        body = openapi.document(self.catalog, group, version)
        if body is None:
            raise errors.path_not_found()
        resp = json_response(body)
        resp.headers["Cache-Control"] = "public, immutable" if "hash" in request.query else "no-cache"
        return resp

    # ---- resources ---------------------------------------------------------------------

    async def resource(self, request: web.Request) -> web.StreamResponse:
        info = parse_path(self.catalog, request.path)
        if info is None:
            return await self._discovery_or_404(request)
        return await handler_for(request.method, info)(self.registry, request, info)

    async def _discovery_or_404(self, request: web.Request) -> web.Response:
        if request.method != "GET":
            raise errors.path_not_found()
        parts = [p for p in request.path.split("/") if p]
        body: dict[str, Any] | None = None
        if parts == ["api", "v1"]:
            body = discovery.api_resource_list(self.catalog, "", "v1")
        elif parts[0] == "apis" and len(parts) == 2:
            body = discovery.api_group(self.catalog, parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            body = discovery.api_resource_list(self.catalog, parts[1], parts[2])
        if body is None:
            raise errors.path_not_found()
        return json_response(orjson.dumps(body))


def _aggregated(body: dict[str, Any]) -> web.Response:
    resp = web.Response(body=orjson.dumps(body), status=200)
    resp.headers["Content-Type"] = discovery.AGGREGATED_CONTENT_TYPE
    return resp
