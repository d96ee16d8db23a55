"""Kubernetes' published object schemas, and the questions the API server asks of them.

The schemas are the 1.32 definitions shipped by the `kubernetes-validate` package: a JSON
Schema `$defs` table keyed by definition name (`io.k8s.api.core.v1.Pod`), each kind tagged
with `x-kubernetes-group-version-kind`, each field carrying its description and the
Kubernetes list/map/patch extensions. They are read once, on first use.

Three kinds of reader use this module:

- OpenAPI publishing (`apiserver/openapi.py`) reads the raw definitions through
  `definitions()` / `definition()` and `definition_for_kind()`.
- Strategic merge patch and server-side apply walk a compiled tree, `kind_schema()`, asking
  each field for its `PatchMeta`: patch strategy, merge key, list type, list-map keys, map
  type. `patch_meta()` answers the same question for one dotted path.
- `fieldValidation=Strict|Warn` asks for `unknown_fields()` of a decoded object.

A compiled tree is built lazily, one `Node` per definition shared by every kind that
refers to it, so the Pod tree and the Deployment tree share `Container`. Recursive
definitions become cycles in the tree, not infinite recursion. Everything here is
read-only after construction and safe to share between requests.

Quirks of the source data that this module smooths over (and that OpenAPI publishing has to
know about): optional fields are typed `["string", "null"]`; IntOrString and Quantity carry
no `type`, only a `oneOf` of scalar types; `apiVersion` and `kind` properties carry an
`enum` that `kubernetes-validate` added and upstream does not publish.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import orjson

SCHEMA_PACKAGE = "kubernetes_validate"
SCHEMA_VERSION = "v1.32.0"
_DEFINITIONS_FILE = ("kubernetes-json-schema", f"{SCHEMA_VERSION}-local", "_definitions.json")
REF_PREFIX = "#/$defs/"

INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


# --- raw definitions -------------------------------------------------------------------


@cache
def definitions() -> Mapping[str, dict[str, Any]]:
    """Every definition by name. Loaded once; callers must not change what they get."""
    data = resources.files(SCHEMA_PACKAGE).joinpath(*_DEFINITIONS_FILE).read_bytes()
    defs: dict[str, dict[str, Any]] = orjson.loads(data)["$defs"]
    return defs


def definition(name: str) -> dict[str, Any]:
    """The raw definition called `name`; KeyError if there is none."""
    return definitions()[name]


def ref_name(ref: str) -> str:
    """`#/$defs/io.k8s.api.core.v1.Pod` -> `io.k8s.api.core.v1.Pod`."""
    return ref.removeprefix(REF_PREFIX)


@cache
def _kind_index() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, raw in definitions().items():
        for gvk in raw.get("x-kubernetes-group-version-kind", ()):
            # Meta types (DeleteOptions, WatchEvent) list every group; the first wins.
            index.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)
    return index


def definition_for_kind(group: str, version: str, kind: str) -> str | None:
    """The definition name for a group/version/kind, or None when none is published."""
    return _kind_index().get((group, version, kind))


# --- patch metadata ----------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class PatchMeta:
    """How a field merges: what strategic merge patch and server-side apply need to know.

    `strategies` splits the comma list of `x-kubernetes-patch-strategy` ("merge",
    "retainKeys", "replace"); `merge_key` names the key of list elements for
    strategic merge; `list_type` / `list_map_keys` / `map_type` are the server-side apply
    topology ("atomic" | "set" | "map"; "atomic" | "granular").
    """

    strategies: tuple[str, ...] = ()
    merge_key: str | None = None
    list_type: str | None = None
    list_map_keys: tuple[str, ...] = ()
    map_type: str | None = None

    @property
    def merges(self) -> bool:
        return "merge" in self.strategies

    @property
    def retains_keys(self) -> bool:
        return "retainKeys" in self.strategies

    @property
    def replaces(self) -> bool:
        return "replace" in self.strategies


NO_PATCH_META = PatchMeta()


def _patch_meta(site: Mapping[str, Any], target: Mapping[str, Any]) -> PatchMeta:
    """Field-level metadata: what the field says, else what its type says."""

    def get(key: str) -> Any:
        return site.get(key, target.get(key))

    strategy = get("x-kubernetes-patch-strategy")
    meta = PatchMeta(
        strategies=tuple(strategy.split(",")) if strategy else (),
        merge_key=get("x-kubernetes-patch-merge-key"),
        list_type=get("x-kubernetes-list-type"),
        list_map_keys=tuple(get("x-kubernetes-list-map-keys") or ()),
        map_type=get("x-kubernetes-map-type"),
    )
    return NO_PATCH_META if meta == NO_PATCH_META else meta


# --- compiled trees ----------------------------------------------------------------------

# Node.type values.
OBJECT = "object"  # a struct: known fields, anything else is unknown
MAP = "map"  # string keys, every value shaped like `values`
ARRAY = "array"
ANY = "any"  # free-form JSON (RawExtension, FieldsV1, no schema at all)
INT_OR_STRING_TYPE = "int-or-string"
QUANTITY_TYPE = "quantity"  # a string like "500m", or a number
SCALARS = frozenset({"string", "integer", "number", "boolean", INT_OR_STRING_TYPE, QUANTITY_TYPE})


@dataclass(slots=True, eq=False)
class Node:
    """One position in a compiled schema tree.

    Patch metadata belongs to the place a type is used, not to the type (a `LabelSelector`
    is atomic under `PodDisruptionBudgetSpec.selector` because that field says "replace"),
    so it lives on the parent: `field_meta(name)`.
    """

    type: str = ANY
    name: str = ""  # definition name when it has one
    fields: dict[str, Node] = dataclasses.field(default_factory=dict)
    meta: dict[str, PatchMeta] = dataclasses.field(default_factory=dict)
    required: tuple[str, ...] = ()
    items: Node | None = None  # ARRAY
    items_meta: PatchMeta = NO_PATCH_META  # what the element type says of itself
    values: Node | None = None  # MAP
    map_type: str | None = None  # the type's own x-kubernetes-map-type
    preserve_unknown: bool = False  # x-kubernetes-preserve-unknown-fields
    format: str = ""  # a scalar's format: int32, int64, double, byte, date-time, ...

    def field(self, name: str) -> Node | None:
        return self.fields.get(name)

    def field_meta(self, name: str) -> PatchMeta:
        return self.meta.get(name, NO_PATCH_META)

    @property
    def is_open(self) -> bool:
        """True when fields the schema does not name are kept rather than unknown."""
        return self.type == ANY or self.preserve_unknown

    def unknown_fields(self, value: Any, path: str = "") -> list[str]:
        """Paths of fields in `value` the schema does not know, in document order."""
        out: list[str] = []
        _collect_unknown(self, value, path, out)
        return out


def _collect_unknown(node: Node, value: Any, path: str, out: list[str]) -> None:
    # Type mismatches are not this walk's business: validation reports them.
    if node.type == OBJECT and isinstance(value, dict):
        for key, child in value.items():
            sub = f"{path}.{key}" if path else key
            child_node = node.fields.get(key)
            if child_node is None:
                if not node.preserve_unknown:
                    out.append(sub)
            elif child is not None:
                _collect_unknown(child_node, child, sub, out)
    elif node.type == ARRAY and isinstance(value, list) and node.items is not None:
        for i, child in enumerate(value):
            if child is not None:
                _collect_unknown(node.items, child, f"{path}[{i}]", out)
    elif node.type == MAP and isinstance(value, dict) and node.values is not None:
        for key, child in value.items():
            if child is not None:
                _collect_unknown(node.values, child, f"{path}.{key}" if path else key, out)


def _scalar_type(raw: Mapping[str, Any]) -> str | None:
    """The first non-null type named by `type` (a string or a list)."""
    declared = raw.get("type")
    if isinstance(declared, str):
        return declared
    if isinstance(declared, list):
        for t in declared:
            if t != "null":
                return str(t)
    return None


def _one_of_type(raw: Mapping[str, Any]) -> str | None:
    """IntOrString and Quantity are written as a `oneOf` of scalar types."""
    alternatives = raw.get("oneOf") or raw.get("anyOf")
    if not alternatives:
        return None
    types = {_scalar_type(a) for a in alternatives}
    if types == {"integer", "string"}:
        return INT_OR_STRING_TYPE
    if types == {"number", "string"}:
        return QUANTITY_TYPE
    return ANY


class SchemaCompiler:
    """Turns raw schemas into `Node` trees, one shared node per named definition.

    Built-in kinds use the module's shared compiler (`kind_schema`); a CRD's
    `openAPIV3Schema` can be compiled with its own instance and an empty table.
    """

    def __init__(self, defs: Mapping[str, Mapping[str, Any]]) -> None:
        self._defs = defs
        self._named: dict[str, Node] = {}
        self._lock = threading.RLock()

    def named(self, name: str) -> Node | None:
        node = self._named.get(name)
        if node is not None:
            return node
        raw = self._defs.get(name)
        if raw is None:
            return None
        with self._lock:
            node = self._named.get(name)
            if node is None:
                # Registered before its fields are compiled, so a cycle finds it.
                node = self._named[name] = Node(name=name)
                self._fill(node, raw)
        return node

    def compile(self, raw: Mapping[str, Any]) -> Node:
        """An anonymous schema (a CRD's, or an inline one)."""
        with self._lock:
            return self._site(raw)[0]

    def _site(self, raw: Mapping[str, Any]) -> tuple[Node, PatchMeta]:
        """The node a field's schema stands for, and the field's patch metadata."""
        ref = raw.get("$ref")
        if isinstance(ref, str):
            name = ref_name(ref)
            target = self._defs.get(name, {})
            return self.named(name) or Node(), _patch_meta(raw, target)
        all_of = raw.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]:
            node, _ = self._site(all_of[0])
            target = self._defs.get(ref_name(all_of[0]["$ref"]), {})
            return node, _patch_meta(raw, target)
        node = Node()
        self._fill(node, raw)
        return node, _patch_meta(raw, {})

    def _fill(self, node: Node, raw: Mapping[str, Any]) -> None:
        node.map_type = raw.get("x-kubernetes-map-type")
        node.preserve_unknown = bool(raw.get("x-kubernetes-preserve-unknown-fields"))
        if raw.get("x-kubernetes-int-or-string"):
            node.type = INT_OR_STRING_TYPE
            return
        kind = _scalar_type(raw) or _one_of_type(raw)
        properties = raw.get("properties")
        extra = raw.get("additionalProperties")
        if kind in (None, OBJECT) and isinstance(properties, dict):
            node.type = OBJECT
            node.required = tuple(raw.get("required", ()))
            for key, sub in properties.items():
                node.fields[key], meta = self._site(sub)
                if meta is not NO_PATCH_META:
                    node.meta[key] = meta
        elif kind in (None, OBJECT) and isinstance(extra, dict):
            node.type = MAP
            node.values = self._site(extra)[0]
        elif kind == ARRAY or "items" in raw:
            node.type = ARRAY
            items = raw.get("items")
            if isinstance(items, dict):
                node.items, node.items_meta = self._site(items)
        elif kind in SCALARS:
            node.type = kind
            node.format = str(raw.get("format") or "")
        else:
            node.type = ANY  # object without properties, no type at all, or a union


@cache
def _compiler() -> SchemaCompiler:
    return SchemaCompiler(definitions())


def named_schema(name: str) -> Node | None:
    """The compiled tree of one definition (`io.k8s.api.core.v1.PodSpec`)."""
    return _compiler().named(name)


def kind_schema(group: str, version: str, kind: str) -> Node | None:
    """The compiled tree of a kind, or None when no schema is published for it."""
    name = definition_for_kind(group, version, kind)
    return None if name is None else _compiler().named(name)


def split_path(path: str | Sequence[str]) -> list[str]:
    """`spec.containers[0].ports` -> ["spec", "containers", "ports"]; indexes drop out."""
    if not isinstance(path, str):
        return list(path)
    return [part.split("[", 1)[0] for part in path.split(".") if part.split("[", 1)[0]]


def walk(node: Node, path: str | Sequence[str]) -> Iterator[tuple[Node, str]]:
    """Yield (parent, segment) for each step of `path`; list elements are transparent,
    and a segment under a map is a key."""
    current: Node | None = node
    for segment in split_path(path):
        while current is not None and current.type == ARRAY:
            current = current.items
        if current is None:
            return
        yield current, segment
        current = current.values if current.type == MAP else current.fields.get(segment)


def node_at(node: Node, path: str | Sequence[str]) -> Node | None:
    """The node a field path leads to (list elements transparent), or None."""
    current: Node | None = node
    for parent, segment in walk(node, path):
        current = parent.values if parent.type == MAP else parent.fields.get(segment)
        if current is None:
            return None
    return current


def patch_meta(group: str, version: str, kind: str, path: str | Sequence[str]) -> PatchMeta:
    """Patch metadata of the field at `path` in a kind (`spec.template.spec.containers`).

    Unknown kinds, unknown fields and map entries have none.
    """
    root = kind_schema(group, version, kind)
    if root is None:
        return NO_PATCH_META
    meta = NO_PATCH_META
    for parent, segment in walk(root, path):
        if parent.type != OBJECT or segment not in parent.fields:
            return NO_PATCH_META
        meta = parent.field_meta(segment)
    return meta


def unknown_fields(group: str, version: str, kind: str, obj: Any) -> list[str]:
    """Field paths in `obj` that the kind's schema does not declare
    (`spec.containers[0].imagePullPolicyy`). Kinds without a schema keep everything."""
    root = kind_schema(group, version, kind)
    return [] if root is None else root.unknown_fields(obj)


def known_fields(group: str, version: str, kind: str, path: str | Sequence[str] = ()) -> list[str]:
    """The field names an object of the kind may carry at `path` ([] when open or unknown)."""
    root = kind_schema(group, version, kind)
    node = None if root is None else node_at(root, path)
    while node is not None and node.type == ARRAY:
        node = node.items
    return list(node.fields) if node is not None and node.type == OBJECT else []


def patch_strategy(group: str, version: str, kind: str, path: str | Sequence[str]) -> tuple[str, str]:
    """(patch strategy as Kubernetes writes it, merge key), each "" when absent:
    `("merge,retainKeys", "name")` for `spec.volumes`. The pair a strategic merge walks by."""
    meta = patch_meta(group, version, kind, path)
    return ",".join(meta.strategies), meta.merge_key or ""
