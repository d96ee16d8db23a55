"""Reading a REST request: which resource it names, its query options, its body.

    /api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
    /apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]

`/api/v1/namespaces/{name}` and its subresources name the Namespace itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import yaml

from kubelite.api import errors
from kubelite.api.resources import ResourceCatalog, ResourceType

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
TABLE_MARK = "as=Table"


@dataclass(slots=True)
class RequestInfo:
    rt: ResourceType
    namespace: str
    name: str
    subresource: str


def parse_path(catalog: ResourceCatalog, path: str) -> RequestInfo | None:
    """The resource a path names, or None when the path is not a resource path."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    if parts[0] == "api":
        if len(parts) < 3 or parts[1] != "v1":
            return None
        group, version, rest = "", "v1", parts[2:]
    elif parts[0] == "apis":
        if len(parts) < 4:
            return None
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        candidate = catalog.get(group, version, rest[2])
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
    rt = catalog.get(group, version, rest[0])
    if rt is None or len(rest) > 3:
        return None
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if sub and not rt.has_subresource(sub):
        return None
    return RequestInfo(rt, namespace, name, sub)


_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
_FALSE = {"0", "f", "F", "false", "FALSE", "False"}


def query_bool(query: Mapping[str, str], name: str, default: bool = False) -> bool:
    """Booleans as Go's strconv.ParseBool reads them."""
    value = query.get(name)
    if value is None:
        return default
    if value in _TRUE or value == "":
        return True
    if value in _FALSE:
        return False
    raise errors.BadRequest(f'invalid boolean value for {name}: "{value}"')


def query_int(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.BadRequest(f'invalid value for {name}: "{value}": must be an integer') from None


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def decode_body(raw: bytes, content_type: str) -> Any:
    """A request body as a JSON-shaped value (JSON, YAML or Kubernetes protobuf)."""
    mt = media_type(content_type) or JSON
    if not raw:
        raise errors.BadRequest("the request body is empty; an object is required")
    if mt == PROTOBUF:
        from kubelite.api import protobuf

        return protobuf.decode(raw)
    if mt in (
        JSON,
        "*/*",
        "application/merge-patch+json",
        "application/json-patch+json",
        "application/strategic-merge-patch+json",
    ):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as err:
            raise errors.BadRequest(f"the body of the request could not be decoded as JSON: {err}") from None
    if mt in (YAML, "application/apply-patch+yaml", "text/yaml", "application/x-yaml"):
        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError as err:
            raise errors.BadRequest(f"the body of the request could not be decoded as YAML: {err}") from None
    raise errors.UnsupportedMediaType(
        f"the body of the request was in an unknown format - accepted "
        f"media types include: application/json, application/yaml, "
        f'application/vnd.kubernetes.protobuf; got "{mt}"'
    )


def decode_object(raw: bytes, content_type: str) -> dict[str, Any]:
    body = decode_body(raw, content_type)
    if not isinstance(body, dict):
        raise errors.BadRequest("the body of the request must be a JSON object")
    md = body.get("metadata")
    if md is None:
        body["metadata"] = {}
    elif not isinstance(md, dict):
        raise errors.BadRequest("metadata must be an object")
    return body


def check_type(
    rt: ResourceType, obj: dict[str, Any], kind: str | None = None, api_version: str | None = None
) -> None:
    """The body's apiVersion and kind must be the endpoint's (when given)."""
    want_kind = kind or rt.kind
    want_av = api_version or rt.api_version
    av, k = obj.get("apiVersion"), obj.get("kind")
    if av and av != want_av:
        raise errors.BadRequest(
            f"the API version in the data ({av}) does not match the expected API version ({want_av})"
        )
    if k and k != want_kind:
        raise errors.BadRequest(f"the kind in the data ({k}) does not match the expected kind ({want_kind})")
    obj["apiVersion"], obj["kind"] = want_av, want_kind


def wants_table(accept: str) -> bool:
    return TABLE_MARK in accept and "g=meta.k8s.io" in accept


def table_include_object(query: Mapping[str, str]) -> str:
    value = query.get("includeObject", "Metadata") or "Metadata"
    if value not in ("None", "Metadata", "Object"):
        raise errors.BadRequest(
            f'includeObject: Unsupported value: "{value}": supported values: "Metadata", "None", "Object"'
        )
    return value


def dump(value: Any) -> bytes:
    return orjson.dumps(value)
