"""Reading a REST request: which resource it names, its query options, its body.

    /api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
    /apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
    …/{resource}/{name}/proxy/{path…}      a proxy subresource keeps the rest as its path

`/api/v1/namespaces/{name}` and its subresources name the Namespace itself.

Query options become the registry's option values here (`request_context`, `list_options`,
`delete_options`), refused with Kubernetes' 400 messages when malformed; `responses.py` is
the other direction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import yaml
from aiohttp import web

from kubelite.api import errors
from kubelite.api.resources import ResourceCatalog, ResourceType
from kubelite.api.selectors import parse_field_selector, parse_label_selector, validate_field_selector
from kubelite.apiserver.managedfields import default_manager
from kubelite.apiserver.registry import DeleteOptions, ListOptions, RequestContext

# kube-apiserver's limits on what a request may carry.
MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024
# How deeply a body's objects and lists may nest. Kubernetes allows 10,000 levels; real
# objects stay under 30, and kubelite's tree walks are recursive, so far fewer are allowed
# (docs/compatibility.md).
MAX_NESTING_DEPTH = 100
# How long a client may take to send its body (kube-apiserver's default --request-timeout).
BODY_READ_TIMEOUT = 60.0
_INT64 = (-(2**63), 2**63 - 1)

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
    subpath: str = ""  # after a proxy subresource: the path to carry on (without its leading /)


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
    if rt is None or (len(rest) > 3 and rest[2] != "proxy"):
        return None
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if sub and not rt.has_subresource(sub):
        return None
    subpath = "/".join(rest[3:]) + ("/" if len(rest) > 3 and path.endswith("/") else "")
    return RequestInfo(rt, namespace, name, sub, subpath)


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
    """An int64 query parameter, as Go's strconv.ParseInt reads one."""
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value, 10)
    except ValueError:
        raise errors.BadRequest(f'invalid value for {name}: "{value}": must be an integer') from None
    if not _INT64[0] <= number <= _INT64[1] or value.strip() != value or "_" in value:
        raise errors.BadRequest(f'invalid value for {name}: "{value}": must be an integer') from None
    return number


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


async def read_body(request: web.Request) -> bytes:
    """The request's body, or a Timeout Status for a client too slow to send it (a slow
    sender only ever holds its own request)."""
    try:
        return await asyncio.wait_for(request.read(), BODY_READ_TIMEOUT)
    except TimeoutError:
        raise errors.Timeout("request did not complete within requested timeout") from None


def decode_body(raw: bytes, content_type: str) -> Any:
    """A request body as a JSON-shaped value (JSON, YAML or Kubernetes protobuf), no deeper
    than MAX_NESTING_DEPTH, with no integer a JSON decoder could not hold (YAML's unbounded
    integers become floats, as JSON's do)."""
    return _bounded(_decode(raw, content_type))


def _bounded(value: Any) -> Any:
    """Walk the decoded tree once, without recursion: refuse what nests too deeply, and turn
    integers beyond 64 bits into floats (what orjson does while parsing JSON)."""
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_NESTING_DEPTH:
            raise _too_deep()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            if isinstance(child, dict | list):
                todo.append((child, depth + 1))
            elif isinstance(child, int) and not isinstance(child, bool) and not -(2**63) <= child < 2**64:
                node[key] = float(child)
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return float(value)
    return value


def _too_deep() -> errors.APIError:
    return errors.BadRequest(
        f"the body of the request is nested too deeply: more than {MAX_NESTING_DEPTH} levels"
    )


def _decode(raw: bytes, content_type: str) -> Any:
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
            if "depth" in str(err):  # orjson's own limit, far above ours: the same refusal
                raise _too_deep() from None
            raise errors.BadRequest(f"the body of the request could not be decoded as JSON: {err}") from None
    if mt in (YAML, "application/apply-patch+yaml", "text/yaml", "application/x-yaml"):
        try:
            return yaml.safe_load(raw)
        except RecursionError:
            raise _too_deep() from None
        except (yaml.YAMLError, ValueError) as err:
            raise errors.BadRequest(f"the body of the request could not be decoded as YAML: {err}") from None
    raise errors.UnsupportedMediaType(
        f"the body of the request was in an unknown format - accepted "
        f"media types include: application/json, application/yaml, "
        f'application/vnd.kubernetes.protobuf; got "{mt}"'
    )


def decode_object(raw: bytes, content_type: str) -> dict[str, Any]:
    return as_object(decode_body(raw, content_type))


def as_object(body: Any) -> dict[str, Any]:
    """A decoded body as an object with a `metadata` object (400 otherwise)."""
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


_VALIDATION_MODES = ("Strict", "Warn", "Ignore")


def require_verb(rt: ResourceType, verb: str) -> None:
    """405 unless the resource serves `verb` (as discovery lists it)."""
    if verb not in rt.verbs:
        raise method_not_allowed()


def method_not_allowed() -> errors.APIError:
    return errors.MethodNotAllowed(
        "the server does not allow this method on the requested resource", details={}
    )


def request_context(request: web.Request, *, body_dry_run: list[str] | None = None) -> RequestContext:
    """Who asks, and the write options every mutating verb takes: dryRun, fieldValidation,
    fieldManager (defaulted from the User-Agent, as Kubernetes does)."""
    q = request.query
    dry = q.getall("dryRun", []) + (body_dry_run or [])
    for d in dry:
        if d != "All":
            raise errors.BadRequest(f'Invalid dry run value: "{d}": supported values: "All"')
    mode = q.get("fieldValidation", "")
    if mode and mode not in _VALIDATION_MODES:
        raise errors.BadRequest(
            f'Invalid fieldValidation value: "{mode}": supported values: "Ignore", "Strict", "Warn"'
        )
    user = request.get("user")
    manager = q.get("fieldManager", "")
    if len(manager) > 128:
        raise errors.BadRequest("fieldManager: Too long: may not be more than 128 bytes")
    return RequestContext(
        user=getattr(user, "name", ""),
        groups=getattr(user, "groups", ()),
        uid=getattr(user, "uid", ""),
        extra=dict(getattr(user, "extra", {}) or {}),
        dry_run=bool(dry),
        field_manager=manager or default_manager(request.headers.get("User-Agent", "")),
        field_validation=mode or "Warn",
    )


def list_options(request: web.Request, rt: ResourceType) -> ListOptions:
    """Selectors, paging and resourceVersion of a list or watch; every selected field must be
    selectable on `rt` (400 as Kubernetes words it)."""
    q = request.query
    ls = q.get("labelSelector") or ""
    fs = q.get("fieldSelector") or ""
    query_int(q, "timeoutSeconds")  # malformed is a 400 on lists too, as Kubernetes parses it
    opts = ListOptions(
        label_selector=parse_label_selector(ls) if ls else None,
        field_selector=parse_field_selector(fs) if fs else None,
        limit=max(query_int(q, "limit") or 0, 0),
        continue_token=q.get("continue", ""),
        resource_version=q.get("resourceVersion", ""),
        resource_version_match=q.get("resourceVersionMatch", ""),
    )
    if opts.field_selector is not None:
        opts.field_selector = validate_field_selector(rt, opts.field_selector)
    return opts


async def delete_options(request: web.Request) -> tuple[DeleteOptions, list[str]]:
    """DeleteOptions from a DELETE's body and query (the query wins), and the body's dryRun."""
    raw = await read_body(request)
    body = decode_body(raw, request.headers.get("Content-Type", "")) if raw else None
    return delete_options_from({} if body is None else body, request.query)


# DeleteOptions' fields and the JSON types decoding accepts for them (Go's names for errors).
_DELETE_OPTION_FIELDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "kind": (str, "string"),
    "apiVersion": (str, "string"),
    "gracePeriodSeconds": (int, "int64"),
    "preconditions": (dict, "v1.Preconditions"),
    "orphanDependents": (bool, "bool"),
    "propagationPolicy": (str, "v1.DeletionPropagation"),
    "dryRun": (list, "[]string"),
}


def check_delete_options(body: Any, field: str = "") -> dict[str, Any]:
    """`body` as DeleteOptions, or the 400 decoding it into the Go type gives (`field`: where
    it sits in an enclosing object, e.g. an Eviction's `deleteOptions`)."""
    if not isinstance(body, dict):
        into = (
            f"Go struct field {field} of type v1.DeleteOptions"
            if field
            else "Go value of type v1.DeleteOptions"
        )
        raise errors.BadRequest(f"json: cannot unmarshal {json_kind(body)} into {into}")
    for name, (types, go_type) in _DELETE_OPTION_FIELDS.items():
        value = body.get(name)
        wrong = value is not None and (
            not isinstance(value, types) or (types is int and isinstance(value, bool))
        )
        if name == "dryRun" and isinstance(value, list):
            bad_items = [v for v in value if not isinstance(v, str)]
            if bad_items:
                value, wrong, go_type = bad_items[0], True, "string"
        if name == "preconditions" and isinstance(value, dict):
            bad = [
                k
                for k in ("uid", "resourceVersion")
                if value.get(k) is not None and not isinstance(value[k], str)
            ]
            if bad:
                value, name, wrong, go_type = value[bad[0]], f"preconditions.{bad[0]}", True, "string"
        if wrong:
            where = f"{field}.{name}" if field else name
            raise errors.BadRequest(
                f"json: cannot unmarshal {json_kind(value)} into Go struct field DeleteOptions.{where} "
                f"of type {go_type}"
            )
    return body


def json_kind(value: Any) -> str:
    """How Go's JSON decoder names a value's kind in its errors."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "null"


def delete_options_from(body: Any, q: Mapping[str, str] | None = None) -> tuple[DeleteOptions, list[str]]:
    """DeleteOptions from a body (and query parameters, which win), plus its dryRun list."""
    body = check_delete_options(body)
    q = q or {}
    grace = body.get("gracePeriodSeconds")
    qgrace = query_int(q, "gracePeriodSeconds")
    if qgrace is not None:
        grace = qgrace
    policy = q.get("propagationPolicy") or body.get("propagationPolicy")
    if policy and policy not in ("Orphan", "Background", "Foreground"):
        raise errors.BadRequest(
            f'propagationPolicy: Unsupported value: "{policy}": supported values: '
            '"Foreground", "Background", "Orphan"'
        )
    if body.get("orphanDependents") is True and not policy:
        policy = "Orphan"
    if grace is not None and grace < 0:
        grace = 1  # Kubernetes treats a negative grace period as the shortest graceful one
    options = DeleteOptions(
        grace_period_seconds=grace, propagation_policy=policy, preconditions=body.get("preconditions")
    )
    return options, list(body.get("dryRun") or [])
