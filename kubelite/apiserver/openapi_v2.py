"""The OpenAPI v2 (Swagger 2.0) document, `GET /openapi/v2`, for kubectl 1.27 and 1.28.

Those kubectl versions download it, as protobuf only, before `create -f`, `apply`,
`replace` and `edit`, and fail without it. They read three things from it: whether a
kind's PATCH operation (tagged with `x-kubernetes-group-version-kind`) lists the
`fieldValidation` query parameter; which patch types that operation `consumes` (strategic
merge for built-in kinds); and the kind's definition with its `x-kubernetes-patch-*`
extensions, to compute a client-side apply patch. Every definition must parse in
kube-openapi's strict reader (a `$ref` has no `type` or `properties` beside it, an array
has one `items` schema, a type is one word).

The document is not built separately: it is the union of the v3 documents
(`openapi.py`), rewritten into Swagger 2.0 form: `#/components/schemas/` refs become
`#/definitions/`, a ref wrapped in a one-element `allOf` is unwrapped, request bodies
become `body` parameters with the media types as `consumes`, parameter schemas are
flattened into the parameter, and IntOrString and Quantity become the string forms v2
uses. So v2 and v3 always describe the same API.

It is built on first request and rebuilt when the catalogue changes, encoded once as JSON
and once as gnostic protobuf (`gnostic.py`), each kept gzipped too; its ETag is a hash of
the JSON.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from kubelite.api import schema
from kubelite.api.resources import ResourceCatalog, ResourceType
from kubelite.apiserver import gnostic, openapi

# Clients ask for either spelling; the answer always uses the second (Go's mime parser, which
# client-go runs on the response, rejects the `@`).
PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
_PROTOBUF_ASKED = ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf", PROTOBUF)
JSON = "application/json"
DEFINITION_PREFIX = "#/definitions/"

# IntOrString and Quantity: v3 publishes a oneOf, v2 a string (with the same description).
_V2_SPECIAL: dict[str, dict[str, Any]] = {
    schema.INT_OR_STRING: {"type": "string", "format": "int-or-string"},
    schema.QUANTITY: {"type": "string"},
}


# --- schemas -----------------------------------------------------------------------------


def convert_schema(node: dict[str, Any]) -> dict[str, Any]:
    """One OpenAPI 3.0 schema node from a v3 document, in Swagger 2.0 form."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        return {"$ref": DEFINITION_PREFIX + ref.removeprefix(openapi.COMPONENT_PREFIX)}
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]:
        siblings = {k: v for k, v in node.items() if k != "allOf"}
        return {**convert_schema(all_of[0]), **siblings}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: convert_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = convert_schema(value)
        elif key == "allOf":
            out[key] = [convert_schema(sub) for sub in value]
        elif key in ("oneOf", "anyOf", "not", "nullable"):
            continue  # no Swagger 2.0 form; only IntOrString and Quantity use oneOf
        else:
            out[key] = value
    return out


def _definition(name: str, v3_schema: dict[str, Any]) -> dict[str, Any]:
    special = _V2_SPECIAL.get(name)
    if special is None:
        return convert_schema(v3_schema)
    return {"description": v3_schema.get("description", ""), **special}


# --- operations ----------------------------------------------------------------------------


def _parameter(param: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in param.items() if k != "schema"}
    out.update(param.get("schema", {}))
    return out


def _first_schema(content: dict[str, Any]) -> dict[str, Any] | None:
    for media in content.values():
        if "schema" in media:
            return convert_schema(media["schema"])
    return None


def convert_operation(op: dict[str, Any]) -> dict[str, Any]:
    """One v3 operation as a Swagger 2.0 operation."""
    out: dict[str, Any] = {k: op[k] for k in ("description", "operationId", "tags") if k in op}
    params = [_parameter(p) for p in op.get("parameters", ())]
    body = op.get("requestBody")
    if body is not None:
        out["consumes"] = list(body["content"])
        body_schema = _first_schema(body["content"])
        params.insert(
            0,
            {
                "name": "body",
                "in": "body",
                "required": body.get("required", False),
                **({"schema": body_schema} if body_schema else {}),
            },
        )
    if params:
        out["parameters"] = params
    produces: list[str] = []
    responses: dict[str, Any] = {}
    for code, response in op.get("responses", {}).items():
        content = response.get("content", {})
        produces.extend(t for t in content if t not in produces)
        converted: dict[str, Any] = {"description": response.get("description", "")}
        response_schema = _first_schema(content)
        if response_schema is not None:
            converted["schema"] = response_schema
        responses[code] = converted
    if produces:
        out["produces"] = produces
    out["responses"] = responses
    out["schemes"] = ["https"]
    out.update({k: v for k, v in op.items() if k.startswith("x-")})
    return out


def convert_path_item(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in item.items():
        if key == "parameters":
            out[key] = [_parameter(p) for p in value]
        else:
            out[key] = convert_operation(value)
    return out


# --- the document ------------------------------------------------------------------------


def build_document(catalog: ResourceCatalog) -> dict[str, Any]:
    """The Swagger 2.0 document (as a dict) for every served group-version."""
    paths: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    for group, version in catalog.group_versions():
        entries = catalog.in_group_version(group, version)
        if not entries:
            continue
        v3 = openapi.build_document(entries, group, version, v2=True)
        for path, item in v3["paths"].items():
            paths[path] = convert_path_item(item)
        for name, v3_schema in v3["components"]["schemas"].items():
            if name not in definitions:
                definitions[name] = _definition(name, v3_schema)
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": schema.SCHEMA_VERSION},
        "paths": dict(sorted(paths.items())),
        "definitions": dict(sorted(definitions.items())),
        "securityDefinitions": {
            "BearerToken": {
                "description": "A bearer token in the Authorization header.",
                "type": "apiKey",
                "name": "authorization",
                "in": "header",
            }
        },
        "security": [{"BearerToken": []}],
    }


@dataclass(frozen=True, slots=True)
class Encoded:
    """The document in both encodings, each also gzipped, and its ETag (quoted)."""

    json: bytes
    json_gzip: bytes
    protobuf: bytes
    protobuf_gzip: bytes
    etag: str


_cache: dict[str, tuple[tuple[ResourceType, ...], Encoded]] = {}


def encoded(catalog: ResourceCatalog) -> Encoded:
    """The current document, built and encoded on first use and after catalogue changes."""
    entries = tuple(rt for gv in catalog.group_versions() for rt in catalog.in_group_version(*gv))
    hit = _cache.get("doc")
    if hit is not None and hit[0] == entries:
        return hit[1]
    document = build_document(catalog)
    body = orjson.dumps(document)
    proto = gnostic.encode(document)
    etag = '"' + hashlib.sha512(body).hexdigest().upper() + '"'
    result = Encoded(body, gzip.compress(body, 6), proto, gzip.compress(proto, 6), etag)
    _cache["doc"] = (entries, result)
    return result


def negotiate(accept: str | None) -> str | None:
    """The media type to answer an Accept header with (`PROTOBUF` or `JSON`); None: 406.
    The first acceptable entry wins, as in Kubernetes' handler."""
    for clause in (accept or "*/*").split(","):
        media = clause.split(";")[0].strip().lower()
        if media in _PROTOBUF_ASKED:
            return PROTOBUF
        if media in (JSON, "application/*", "*/*"):
            return JSON
    return None
