"""OpenAPI v3 documents for the served API, one per group-version.

kubectl reads these for three things (see the kubectl contract, §1.5): whether the server
validates fields itself (a PATCH operation carrying the kind's
`x-kubernetes-group-version-kind` and a `fieldValidation` query parameter), how to build a
client-side apply patch (`x-kubernetes-patch-*` on the schemas), and `kubectl explain`
(component schemas with descriptions, each kind tagged with its group-version-kind).

`index(catalog)` answers `GET /openapi/v3`; `document(catalog, group, version)` answers
`GET /openapi/v3/apis/{group}/{version}` with JSON bytes. Documents are built on first
request and cached per group-version; a cached document is rebuilt when the catalogue's
entries for its group-version change (a CRD added or removed), and its hash, the cache key
clients put in the URL, changes with it.

Schemas come from `kubelite.api.schema` and are rewritten into OpenAPI 3.0 form: refs point
at `#/components/schemas/`, a ref with a description or extensions beside it is wrapped in
a one-element `allOf` (3.0 ignores siblings of `$ref`; kubectl unwraps `allOf[0]`),
nullable type lists become a single type, IntOrString and Quantity become the `oneOf`
forms upstream publishes. A resource without a published schema (a CRD before its schema
is wired in) gets an object schema that keeps unknown fields.

kubelite departs from upstream on purpose in two ways: the deprecated `/watch/` paths are
not published (clients use `?watch=true` on the list path), and neither is protobuf.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from kubelite.api import schema
from kubelite.api.resources import ResourceCatalog, ResourceType, Subresource

COMPONENT_PREFIX = "#/components/schemas/"
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
STATUS = META + "Status"
DELETE_OPTIONS = META + "DeleteOptions"
PATCH_BODY = META + "Patch"
OBJECT_META = META + "ObjectMeta"
LIST_META = META + "ListMeta"
# Published in every document whatever its kinds reach, as upstream does.
ALWAYS_INCLUDED = (
    STATUS,
    DELETE_OPTIONS,
    LIST_META,
    META + "WatchEvent",
    META + "APIResourceList",
    PATCH_BODY,
)

JSON = "application/json"
YAML = "application/yaml"
WATCH_STREAM = "application/json;stream=watch"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


# --- schema conversion -----------------------------------------------------------------

# The source data has no description for these two; upstream's are the Go doc comments.
_INT_OR_STRING_SCHEMA: dict[str, Any] = {
    "description": "An integer or a string (for example a port number or a port name, "
    "or a count or a percentage).",
    "format": "int-or-string",
    "oneOf": [{"type": "integer"}, {"type": "string"}],
    "x-kubernetes-int-or-string": True,
}
_QUANTITY_SCHEMA: dict[str, Any] = {
    "description": "A fixed-point amount written as a string with an optional suffix "
    '("100m", "2Gi", "1.5", "1e3"); a plain number is accepted too.',
    "oneOf": [{"type": "string"}, {"type": "number"}],
}
_SPECIAL = {schema.INT_OR_STRING: _INT_OR_STRING_SCHEMA, schema.QUANTITY: _QUANTITY_SCHEMA}

# Keys a ref keeps beside it (inside the allOf wrapper); the rest describe the target.
_SCHEMA_LISTS = ("oneOf", "anyOf", "allOf")
# kubernetes-validate adds `enum: [<the one value>]` to these; upstream publishes none.
_TYPE_META_FIELDS = ("apiVersion", "kind")


def _component_ref(name: str) -> dict[str, str]:
    return {"$ref": COMPONENT_PREFIX + name}


def convert_schema(raw: dict[str, Any], *, drop_enum: bool = False) -> dict[str, Any]:
    """One JSON-schema node from the source data, in OpenAPI 3.0 form."""
    ref = raw.get("$ref")
    if isinstance(ref, str):
        target = _component_ref(schema.ref_name(ref))
        siblings = {k: v for k, v in raw.items() if k != "$ref"}
        return {"allOf": [target], **siblings} if siblings else target
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "type":
            single = value if isinstance(value, str) else next((t for t in value if t != "null"), None)
            if single is not None:
                out["type"] = single
        elif key == "properties":
            out[key] = {
                name: convert_schema(sub, drop_enum=name in _TYPE_META_FIELDS) for name, sub in value.items()
            }
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = convert_schema(value)
        elif key in _SCHEMA_LISTS:
            out[key] = [convert_schema(sub) for sub in value]
        elif key == "enum" and drop_enum:
            continue
        else:
            out[key] = value  # description, required, format, x-kubernetes-*, ...
    return out


_converted: dict[str, dict[str, Any]] = {}
_references: dict[str, frozenset[str]] = {}


def component(name: str) -> dict[str, Any]:
    """The OpenAPI form of a published definition (cached; do not modify)."""
    out = _converted.get(name)
    if out is None:
        out = _SPECIAL.get(name) or convert_schema(schema.definition(name))
        _converted[name] = out
    return out


def _refs_in(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(schema.ref_name(ref))
        for value in node.values():
            if isinstance(value, (dict, list)):
                _refs_in(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs_in(value, found)


def references(name: str) -> frozenset[str]:
    """Definitions one definition refers to directly."""
    found = _references.get(name)
    if found is None:
        refs: set[str] = set()
        _refs_in(schema.definition(name), refs)
        found = _references[name] = frozenset(refs)
    return found


def reachable(roots: Iterable[str]) -> list[str]:
    """Every published definition reachable from `roots`, roots included, sorted."""
    seen: set[str] = set()
    stack = [r for r in roots if r in schema.definitions()]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(r for r in references(name) if r not in seen)
    return sorted(seen)


# --- kinds with and without a published schema ------------------------------------------


def _gvk(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "kind": kind, "version": version}


def synthesized_name(group: str, version: str, kind: str) -> str:
    """Upstream names CRD schemas by reversed group: `com.example.stable.v1.CronTab`."""
    prefix = ".".join(reversed(group.split("."))) if group else "core"
    return f"{prefix}.{version}.{kind}"


def _open_kind_schema(group: str, version: str, kind: str) -> dict[str, Any]:
    return {
        "description": f"{kind} has no published schema; the server keeps every field.",
        "type": "object",
        "properties": {
            "apiVersion": {"description": "The versioned schema of this object.", "type": "string"},
            "kind": {"description": "The REST resource this object represents.", "type": "string"},
            "metadata": {"allOf": [_component_ref(OBJECT_META)], "description": "Standard object metadata."},
        },
        "x-kubernetes-preserve-unknown-fields": True,
        "x-kubernetes-group-version-kind": [_gvk(group, version, kind)],
    }


def _list_schema(group: str, version: str, kind: str, item_ref: str) -> dict[str, Any]:
    return {
        "description": f"A list of {kind} objects.",
        "type": "object",
        "properties": {
            "apiVersion": {"description": "The versioned schema of this list.", "type": "string"},
            "items": {
                "description": f"The {kind} objects.",
                "type": "array",
                "items": _component_ref(item_ref),
            },
            "kind": {"description": "The REST resource this object represents.", "type": "string"},
            "metadata": {"allOf": [_component_ref(LIST_META)], "description": "Standard list metadata."},
        },
        "required": ["items"],
        "x-kubernetes-group-version-kind": [_gvk(group, version, kind + "List")],
    }


class _Schemas:
    """The component schemas one document publishes: published definitions by name, plus
    schemas made up for kinds that have none, and the schemas of custom resources (in their
    OpenAPI v2 flavour when `v2`, see `custom_resource_schema`)."""

    def __init__(self, *, v2: bool = False) -> None:
        self.roots: set[str] = set(ALWAYS_INCLUDED)
        self.made_up: dict[str, dict[str, Any]] = {}
        self.v2 = v2

    def custom(self, rt: ResourceType) -> str:
        """Register a custom resource's kind and list schemas; the kind's component name."""
        name = synthesized_name(rt.group, rt.version, rt.kind)
        self.made_up[name] = custom_resource_schema(rt, v2=self.v2)
        list_name = synthesized_name(rt.group, rt.version, rt.kind + "List")
        self.made_up[list_name] = _list_schema(rt.group, rt.version, rt.kind, name)
        self.roots.update((OBJECT_META, LIST_META))
        return name

    def kind(self, group: str, version: str, kind: str) -> str:
        name = schema.definition_for_kind(group, version, kind)
        if name is None:
            name = synthesized_name(group, version, kind)
            self.made_up.setdefault(name, _open_kind_schema(group, version, kind))
            self.roots.add(OBJECT_META)
        self.roots.add(name)
        return name

    def list_of(self, group: str, version: str, kind: str) -> str:
        name = schema.definition_for_kind(group, version, kind + "List")
        if name is None:
            name = synthesized_name(group, version, kind + "List")
            item = self.kind(group, version, kind)
            self.made_up.setdefault(name, _list_schema(group, version, kind, item))
            self.roots.add(LIST_META)
        self.roots.add(name)
        return name

    def components(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: component(name) for name in reachable(self.roots)}
        out.update(self.made_up)
        return dict(sorted(out.items()))


# --- custom resources -------------------------------------------------------------------

_METADATA_DESCRIPTION = (
    "Standard object's metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
_EMBEDDED_API_VERSION = (
    "apiVersion defines the versioned schema of this representation of an object. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
)
_EMBEDDED_KIND = (
    "kind is a string value representing the type of this object. In CamelCase. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
)
_TYPE_META_SOURCE = "io.k8s.api.core.v1.Pod"


def _type_meta(field: str) -> dict[str, Any]:
    described = schema.definition(_TYPE_META_SOURCE)["properties"][field].get("description", "")
    return {"description": described, "type": "string"}


def _metadata_ref() -> dict[str, Any]:
    return {"allOf": [_component_ref(OBJECT_META)], "description": _METADATA_DESCRIPTION}


def custom_resource_schema(rt: ResourceType, *, v2: bool = False) -> dict[str, Any]:
    """A CRD version's schema as Kubernetes publishes it: the CRD's own schema with the
    type-meta and metadata properties added (also to embedded resources), tagged with its
    group-version-kind. OpenAPI v2 gets the flavour kubectl 1.27/1.28 validate with: no
    `nullable`, no `anyOf`/`oneOf`/`allOf`/`not`, nothing below a node that keeps unknown
    fields, and a bare `type: object` for a kind that keeps unknown fields at the root."""
    assert rt.custom is not None
    raw = rt.custom.raw_schema
    gvk = [_gvk(rt.group, rt.version, rt.kind)]
    if raw is None or (v2 and raw.get("x-kubernetes-preserve-unknown-fields") is True):
        return {"type": "object", "x-kubernetes-group-version-kind": gvk}
    out = _v2_flavour(copy.deepcopy(raw)) if v2 else copy.deepcopy(raw)
    props = out.setdefault("properties", {})
    props["apiVersion"] = _type_meta("apiVersion")
    props["kind"] = _type_meta("kind")
    props["metadata"] = _metadata_ref()
    for key, sub in props.items():
        if key not in ("apiVersion", "kind", "metadata"):
            _embedded(sub, v2=v2)
    out["x-kubernetes-group-version-kind"] = gvk
    return out


def _embedded(node: Any, *, v2: bool) -> None:
    if not isinstance(node, dict):
        return
    for sub in (node.get("properties") or {}).values():
        _embedded(sub, v2=v2)
    for key in ("items", "additionalProperties"):
        _embedded(node.get(key), v2=v2)
    if v2 and node.get("x-kubernetes-preserve-unknown-fields") is True:
        return
    if node.get("x-kubernetes-embedded-resource") is True:
        props = node.setdefault("properties", {})
        props["apiVersion"] = {"description": _EMBEDDED_API_VERSION, "type": "string"}
        props["kind"] = {"description": _EMBEDDED_KIND, "type": "string"}
        props["metadata"] = _metadata_ref()
        required = node.setdefault("required", [])
        for name in ("kind", "apiVersion"):
            if name not in required:
                required.append(name)


def _v2_flavour(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    for key in ("allOf", "anyOf", "oneOf", "not"):
        node.pop(key, None)
    if node.pop("nullable", False) is True:
        node.pop("type", None)
        node.pop("items", None)
        node.pop("properties", None)
    if node.get("x-kubernetes-preserve-unknown-fields") is True:
        node.pop("items", None)
        node.pop("properties", None)
        if node.get("type") == "object":
            node.pop("type")
    if node.get("type") == "array" and "items" not in node:
        node.pop("type")
    props = node.get("properties") or {}
    nullable = [k for k, v in props.items() if isinstance(v, dict) and v.get("nullable") is True]
    if nullable and isinstance(node.get("required"), list):
        node["required"] = [r for r in node["required"] if r not in nullable]
        if not node["required"]:
            node.pop("required")
    for sub in props.values():
        _v2_flavour(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _v2_flavour(node[key])
    return node


# --- paths and operations ----------------------------------------------------------------


def _query(name: str, description: str, type_: str = "string") -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": type_, "uniqueItems": True},
    }


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "description": description,
        "required": True,
        "schema": {"type": "string", "uniqueItems": True},
    }


PRETTY = _query("pretty", "If 'true', the output is indented.")
NAME = _path_param("name", "The object's name.")
NAMESPACE = _path_param("namespace", "The object's namespace.")
DRY_RUN = _query("dryRun", "'All' runs every stage of the request but persists nothing.")
FIELD_MANAGER = _query("fieldManager", "Who is making the change; recorded in managedFields.")
FIELD_VALIDATION = _query(
    "fieldValidation",
    "What to do with unknown or duplicate fields in the body: 'Ignore' drops them, 'Warn' "
    "answers with a warning for each, 'Strict' fails the request.",
)
FORCE = _query("force", "For apply patches: take ownership of fields other managers own.", "boolean")
WRITE_PARAMS = (DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION)
PATCH_PARAMS = (DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE)
DELETE_PARAMS = (
    _query("gracePeriodSeconds", "Seconds before the object is deleted; 0 deletes at once.", "integer"),
    _query("orphanDependents", "Deprecated: use propagationPolicy.", "boolean"),
    _query(
        "propagationPolicy", "How dependents are garbage collected: 'Orphan', 'Background' or 'Foreground'."
    ),
    DRY_RUN,
)
LIST_PARAMS = (
    _query("labelSelector", "Only objects whose labels match this selector."),
    _query("fieldSelector", "Only objects whose fields match this selector."),
    _query("watch", "Stream changes (ADDED, MODIFIED, DELETED) instead of listing.", "boolean"),
    _query("allowWatchBookmarks", "Ask for BOOKMARK events during a watch.", "boolean"),
    _query("sendInitialEvents", "Start a watch with the current objects as ADDED events.", "boolean"),
    _query("resourceVersion", "Which resource version the answer may be served from."),
    _query("resourceVersionMatch", "How resourceVersion applies: 'Exact' or 'NotOlderThan'."),
    _query("timeoutSeconds", "Upper bound on the duration of the call.", "integer"),
    _query("limit", "At most this many objects per page; continue with the `continue` token.", "integer"),
    _query("continue", "The token from a previous page, to get the next one."),
)

# Catalogue verbs a subresource can publish; others (connect-style log, exec, proxy) are not.
_SUBRESOURCE_VERBS = frozenset({"get", "update", "patch", "create", "delete"})


def _content(ref: str, *types: str) -> dict[str, Any]:
    return {t: {"schema": _component_ref(ref)} for t in types}


def _responses(ref: str, codes: dict[str, str], watchable: bool = False) -> dict[str, Any]:
    types = (JSON, YAML, WATCH_STREAM) if watchable else (JSON, YAML)
    return {code: {"description": text, "content": _content(ref, *types)} for code, text in codes.items()}


def _body(ref: str, *types: str) -> dict[str, Any]:
    return {"required": True, "content": _content(ref, *(types or (JSON,)))}


def _camel_group(group: str) -> str:
    """`rbac.authorization.k8s.io` -> `RbacAuthorization`; the core group is `Core`."""
    if not group:
        return "Core"
    short = group.removesuffix(".k8s.io")
    return "".join(p[:1].upper() + p[1:] for p in short.replace("-", ".").split(".") if p)


def _tag(group: str, version: str) -> str:
    camel = _camel_group(group)
    return f"{camel[:1].lower()}{camel[1:]}_{version}"


def gv_path(group: str, version: str) -> str:
    """`api/v1` or `apis/{group}/{version}`: the key in the index and the URL stem."""
    return f"api/{version}" if not group else f"apis/{group}/{version}"


class _PathBuilder:
    def __init__(self, group: str, version: str, schemas: _Schemas) -> None:
        self.group, self.version, self.schemas = group, version, schemas
        self.prefix = "/" + gv_path(group, version)
        self.op_prefix = _camel_group(group) + version[:1].upper() + version[1:]
        self.tags = [_tag(group, version)]
        self.paths: dict[str, dict[str, Any]] = {}

    def _item(self, path: str, *params: dict[str, Any]) -> dict[str, Any]:
        return self.paths.setdefault(path, {"parameters": [*params, PRETTY]})

    def _operation(
        self,
        *,
        op_id: str,
        action: str,
        gvk: dict[str, str],
        description: str,
        params: Iterable[dict[str, Any]] = (),
        **rest: Any,
    ) -> dict[str, Any]:
        return {
            "description": description,
            "operationId": op_id,
            "tags": self.tags,
            "parameters": list(params),
            **rest,
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
        }

    def add_resource(self, rt: ResourceType) -> None:
        verbs = set(rt.verbs)
        if rt.custom is not None:
            kind_ref = self.schemas.custom(rt)
        else:
            kind_ref = self.schemas.kind(rt.group, rt.version, rt.kind)
        gvk = _gvk(rt.group, rt.version, rt.kind)
        scoped = "Namespaced" if rt.namespaced else ""
        name_id = f"{self.op_prefix}{scoped}{rt.kind}"
        ns_params = (NAMESPACE,) if rt.namespaced else ()
        collection = (
            f"{self.prefix}/namespaces/{{namespace}}/{rt.plural}"
            if rt.namespaced
            else f"{self.prefix}/{rt.plural}"
        )
        item = f"{collection}/{{name}}"

        if verbs & {"list", "create", "deletecollection"}:
            path = self._item(collection, *ns_params)
            if "list" in verbs:
                path["get"] = self._list(rt, f"list{name_id}", gvk)
            if "create" in verbs:
                path["post"] = self._write("post", f"create{name_id}", gvk, kind_ref, f"create a {rt.kind}")
            if "deletecollection" in verbs:
                path["delete"] = self._operation(
                    op_id=f"delete{self.op_prefix}Collection{scoped}{rt.kind}",
                    action="deletecollection",
                    gvk=gvk,
                    description=f"delete a collection of {rt.kind}",
                    params=(*DELETE_PARAMS, *LIST_PARAMS),
                    requestBody={"content": _content(DELETE_OPTIONS, JSON)},
                    responses=_responses(STATUS, {"200": "OK"}),
                )
        if rt.namespaced and "list" in verbs:
            path = self._item(f"{self.prefix}/{rt.plural}")
            path["get"] = self._list(rt, f"list{self.op_prefix}{rt.kind}ForAllNamespaces", gvk)
        object_verbs = verbs & {"get", "update", "patch", "delete"}
        if object_verbs:
            self._object_operations(
                self._item(item, NAME, *ns_params),
                object_verbs,
                name_id,
                gvk,
                kind_ref,
                rt.kind,
                smp=self._has_schema(rt.group, rt.version, rt.kind),
            )
        for sub in rt.subresources:
            if not sub.connect:  # connect operations (log, exec, proxy) are not published yet
                self._add_subresource(rt, sub, f"{item}/{sub.name}", name_id, ns_params)

    def _has_schema(self, group: str, version: str, kind: str) -> bool:
        # Strategic merge patch needs patch metadata: built-in kinds only (as upstream).
        return schema.definition_for_kind(group, version, kind) is not None

    def _add_subresource(
        self,
        rt: ResourceType,
        sub: Subresource,
        path_str: str,
        name_id: str,
        ns_params: tuple[dict[str, Any], ...],
    ) -> None:
        group = rt.group if sub.group is None else sub.group
        version = sub.version or rt.version
        kind_ref = self.schemas.kind(group, version, sub.kind)
        gvk = _gvk(group, version, sub.kind)
        op_name = name_id + sub.name[:1].upper() + sub.name[1:]
        verbs = set(sub.verbs) & _SUBRESOURCE_VERBS
        if not verbs:
            return
        path = self._item(path_str, NAME, *ns_params)
        self._object_operations(
            path,
            verbs,
            op_name,
            gvk,
            kind_ref,
            sub.kind,
            smp=self._has_schema(group, version, sub.kind),
            what=f"{sub.name} of the specified {rt.kind}",
        )

    def _object_operations(
        self,
        path: dict[str, Any],
        verbs: set[str],
        name_id: str,
        gvk: dict[str, str],
        kind_ref: str,
        kind: str,
        *,
        smp: bool,
        what: str = "",
    ) -> None:
        what = what or f"the specified {kind}"
        if "get" in verbs:
            path["get"] = self._operation(
                op_id=f"read{name_id}",
                action="get",
                gvk=gvk,
                description=f"read {what}",
                responses=_responses(kind_ref, {"200": "OK"}),
            )
        if "create" in verbs:  # subresources such as pods/binding
            path["post"] = self._write("post", f"create{name_id}", gvk, kind_ref, f"create {what}")
        if "update" in verbs:
            path["put"] = self._write("put", f"replace{name_id}", gvk, kind_ref, f"replace {what}")
        if "patch" in verbs:
            types = [JSON_PATCH, MERGE_PATCH] + ([STRATEGIC_MERGE_PATCH] if smp else [])
            path["patch"] = self._operation(
                op_id=f"patch{name_id}",
                action="patch",
                gvk=gvk,
                description=f"partially update {what}",
                params=PATCH_PARAMS,
                requestBody=_body(PATCH_BODY, *types, APPLY_PATCH),
                responses=_responses(kind_ref, {"200": "OK", "201": "Created"}),
            )
        if "delete" in verbs:
            path["delete"] = self._operation(
                op_id=f"delete{name_id}",
                action="delete",
                gvk=gvk,
                description=f"delete {what}",
                params=DELETE_PARAMS,
                requestBody={"content": _content(DELETE_OPTIONS, JSON)},
                responses=_responses(STATUS, {"200": "OK", "202": "Accepted"}),
            )

    def _write(
        self, method: str, op_id: str, gvk: dict[str, str], kind_ref: str, description: str
    ) -> dict[str, Any]:
        """A POST or PUT; upstream names the action after the HTTP method."""
        codes = {"200": "OK", "201": "Created"}
        if method == "post":
            codes["202"] = "Accepted"
        return self._operation(
            op_id=op_id,
            action=method,
            gvk=gvk,
            description=description,
            params=WRITE_PARAMS,
            requestBody=_body(kind_ref),
            responses=_responses(kind_ref, codes),
        )

    def _list(self, rt: ResourceType, op_id: str, gvk: dict[str, str]) -> dict[str, Any]:
        if rt.custom is not None:
            list_ref = synthesized_name(rt.group, rt.version, rt.kind + "List")
        else:
            list_ref = self.schemas.list_of(rt.group, rt.version, rt.kind)
        return self._operation(
            op_id=op_id,
            action="list",
            gvk=gvk,
            params=LIST_PARAMS,
            description=f"list or watch objects of kind {rt.kind}",
            responses=_responses(list_ref, {"200": "OK"}, watchable=True),
        )

    def add_resource_list(self) -> None:
        self.paths[self.prefix + "/"] = {
            "get": {
                "description": "get available resources",
                "operationId": f"get{self.op_prefix}APIResources",
                "tags": self.tags,
                "responses": _responses(META + "APIResourceList", {"200": "OK"}),
            }
        }


# --- documents ---------------------------------------------------------------------------


def build_document(
    resources: Iterable[ResourceType], group: str, version: str, *, v2: bool = False
) -> dict[str, Any]:
    """The OpenAPI v3 document (as a dict) for one group-version's resources (with custom
    resources' schemas in their v2 flavour when `v2`, for `openapi_v2`)."""
    schemas = _Schemas(v2=v2)
    builder = _PathBuilder(group, version, schemas)
    builder.add_resource_list()
    for rt in resources:
        builder.add_resource(rt)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": schema.SCHEMA_VERSION},
        "paths": dict(sorted(builder.paths.items())),
        "components": {
            "schemas": schemas.components(),
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "authorization",
                    "description": "A bearer token in the Authorization header.",
                }
            },
        },
        "security": [{"BearerToken": []}],
    }


# (group, version) -> (the catalogue entries it was built from, JSON bytes, hash)
_documents: dict[tuple[str, str], tuple[tuple[ResourceType, ...], bytes, str]] = {}


def _cached(catalog: ResourceCatalog, group: str, version: str) -> tuple[bytes, str] | None:
    entries = tuple(catalog.in_group_version(group, version))
    if not entries:
        return None
    hit = _documents.get((group, version))
    if hit is not None and hit[0] == entries:
        return hit[1], hit[2]
    body = orjson.dumps(build_document(entries, group, version))
    digest = hashlib.sha512(body).hexdigest().upper()
    _documents[(group, version)] = (entries, body, digest)
    return body, digest


def document(catalog: ResourceCatalog, group: str, version: str) -> bytes | None:
    """`GET /openapi/v3/api/v1` / `.../apis/{group}/{version}`: JSON bytes, or None when the
    group-version is not served."""
    hit = _cached(catalog, group, version)
    return None if hit is None else hit[0]


def document_hash(catalog: ResourceCatalog, group: str, version: str) -> str | None:
    """The document's content hash (uppercase hex SHA-512): its `?hash=` and ETag."""
    hit = _cached(catalog, group, version)
    return None if hit is None else hit[1]


def index(catalog: ResourceCatalog) -> dict[str, Any]:
    """`GET /openapi/v3`: one entry per served group-version, with a hashed URL."""
    paths: dict[str, Any] = {}
    for group, version in catalog.group_versions():
        digest = document_hash(catalog, group, version)
        if digest is not None:
            stem = gv_path(group, version)
            paths[stem] = {"serverRelativeURL": f"/openapi/v3/{stem}?hash={digest}"}
    return {"paths": paths}


def parse_gv_path(path: str) -> tuple[str, str] | None:
    """`api/v1` -> ("", "v1"); `apis/apps/v1` -> ("apps", "v1"); anything else -> None.
    Leading and trailing slashes are ignored."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "api":
        return "", parts[1]
    if len(parts) == 3 and parts[0] == "apis":
        return parts[1], parts[2]
    return None
