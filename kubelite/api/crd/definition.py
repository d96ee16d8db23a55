"""What a CustomResourceDefinition makes the API server serve.

A CRD names a group, a kind and its plural, and lists versions; each served version becomes
one `ResourceType` in the catalogue (`served_types`), carrying a `CustomResource`: the
compiled schema of that version, its subresources, printer columns and whether the CRD is
being deleted. All versions share one storage prefix, `/registry/<group>/<plural>`, and one
storage version; conversion between versions is `None` (only `apiVersion` changes), the only
strategy kubelite supports.

`CustomResource` values compare by identity: a CRD that changes gets new ones, so caches
keyed on catalogue entries (OpenAPI documents, printers) see the change.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from kubelite.api import schema as builtin_schemas
from kubelite.api.crd import structural
from kubelite.api.resources import ALL_VERBS, ResourceType, Subresource

GROUP = "apiextensions.k8s.io"
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
_STATUS_VERBS = ("get", "patch", "update")
DEFAULT_AGE_COLUMN = {
    "name": "Age",
    "type": "date",
    "jsonPath": ".metadata.creationTimestamp",
    "description": "Custom resource definition column (in JSONPath format): .metadata.creationTimestamp",
}


@dataclass(frozen=True, slots=True)
class PrinterColumn:
    name: str
    type: str
    format: str
    description: str
    priority: int
    json_path: str


@dataclass(frozen=True, eq=False)
class CustomResource:
    """The behaviour of one served version of a custom resource (see the module docstring)."""

    crd_name: str
    crd_uid: str
    storage_version: str
    schema: structural.Schema | None
    raw_schema: dict[str, Any] | None
    columns: tuple[PrinterColumn, ...]
    status: bool
    scale: dict[str, str] | None
    terminating: bool = False
    deprecated: bool = False
    deprecation_warning: str = ""

    # --- the three questions asked of every object ---------------------------------------

    def unknown_fields(self, obj: dict[str, Any]) -> list[str]:
        """Paths of fields the schema would drop (for fieldValidation): metadata fields
        ObjectMeta does not have, then the rest, sorted."""
        return self.prune(copy.deepcopy(obj))

    def prune(self, obj: dict[str, Any]) -> list[str]:
        """Drop undeclared fields in place (unknown metadata fields too); their paths."""
        dropped = _prune_metadata(structural.embedded_metadata(self.schema, obj))
        return dropped + structural.prune(self.schema, obj)

    def default(self, obj: dict[str, Any]) -> None:
        structural.default(self.schema, obj)

    def validate(self, obj: dict[str, Any]) -> list[Any]:
        return structural.validate(self.schema, obj)


_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def _prune_metadata(found: list[tuple[str, dict[str, Any]]]) -> list[str]:
    node = builtin_schemas.named_schema(_OBJECT_META)
    if node is None:
        return []
    dropped: list[str] = []
    for path, md in found:
        unknown = node.unknown_fields(md, path)
        dropped += unknown
        for field_path in unknown:
            md.pop(field_path[len(path) + 1 :].split(".", 1)[0], None)
    return dropped


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def storage_version(crd: dict[str, Any]) -> str:
    for v in _list(_dict(crd.get("spec")).get("versions")):
        if _dict(v).get("storage"):
            return str(v.get("name") or "")
    return ""


def accepted_names(crd: dict[str, Any]) -> dict[str, Any]:
    """The names the CRD's resource is served under (status.acceptedNames once accepted)."""
    names = _dict(_dict(crd.get("status")).get("acceptedNames"))
    return names if names.get("plural") else _dict(_dict(crd.get("spec")).get("names"))


def storage_prefix(group: str, plural: str) -> str:
    return f"/registry/{group}/{plural}"


def _columns(version: dict[str, Any]) -> tuple[PrinterColumn, ...]:
    raw = _list(version.get("additionalPrinterColumns")) or [DEFAULT_AGE_COLUMN]
    out = []
    for c in raw:
        c = _dict(c)
        out.append(
            PrinterColumn(
                name=str(c.get("name") or ""),
                type=str(c.get("type") or "string"),
                format=str(c.get("format") or ""),
                description=str(c.get("description") or ""),
                priority=int(c.get("priority") or 0),
                json_path=str(c.get("jsonPath") or ""),
            )
        )
    return tuple(out)


def custom_resource(crd: dict[str, Any], version: dict[str, Any]) -> CustomResource:
    md = _dict(crd.get("metadata"))
    raw_schema = _dict(version.get("schema")).get("openAPIV3Schema")
    subresources = _dict(version.get("subresources"))
    scale = subresources.get("scale")
    return CustomResource(
        crd_name=str(md.get("name") or ""),
        crd_uid=str(md.get("uid") or ""),
        storage_version=storage_version(crd),
        schema=structural.compile_schema(raw_schema) if isinstance(raw_schema, dict) else None,
        raw_schema=raw_schema if isinstance(raw_schema, dict) else None,
        columns=_columns(version),
        status="status" in subresources,
        scale=dict(scale) if isinstance(scale, dict) else None,
        terminating=bool(md.get("deletionTimestamp")),
        deprecated=bool(version.get("deprecated")),
        deprecation_warning=str(version.get("deprecationWarning") or ""),
    )


def served_types(crd: dict[str, Any]) -> list[ResourceType]:
    """One catalogue entry per served version, highest-priority version first."""
    spec = _dict(crd.get("spec"))
    group = str(spec.get("group") or "")
    names = accepted_names(crd)
    plural = str(names.get("plural") or "")
    stored = storage_version(crd)
    out = []
    for version in _list(spec.get("versions")):
        version = _dict(version)
        if not version.get("served"):
            continue
        cr = custom_resource(crd, version)
        subresources: list[Subresource] = []
        if cr.scale is not None:
            subresources.append(
                Subresource("scale", "Scale", _STATUS_VERBS, group="autoscaling", version="v1")
            )
        if cr.status:
            subresources.append(Subresource("status", str(names.get("kind") or ""), _STATUS_VERBS))
        out.append(
            ResourceType(
                group,
                str(version.get("name") or ""),
                plural,
                str(names.get("singular") or ""),
                str(names.get("kind") or ""),
                spec.get("scope") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                verbs=ALL_VERBS,
                subresources=tuple(subresources),
                storage_prefix=storage_prefix(group, plural),
                storage_version=stored,
                custom=cr,
            )
        )
    return sorted(out, key=lambda rt: version_priority(rt.version))


_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """A sort key putting versions in Kubernetes' order: v2, v1, v1beta2, v1beta1, v1alpha1,
    then anything else alphabetically."""
    m = _VERSION.match(version)
    if m is None:
        return (3, 0, 0, version)
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (stage, -int(m.group(1)), -int(m.group(3) or 0), "")


# ---- defaulting of the CRD itself -------------------------------------------------------------------


def apply_crd_defaults(crd: dict[str, Any]) -> None:
    """Kubernetes' defaults for a CustomResourceDefinition (v1)."""
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return
    names = spec.get("names")
    if isinstance(names, dict):
        kind = names.get("kind")
        if isinstance(kind, str) and kind:
            if not names.get("singular"):
                names["singular"] = kind.lower()
            if not names.get("listKind"):
                names["listKind"] = kind + "List"
    conversion = spec.setdefault("conversion", {"strategy": "None"})
    if isinstance(conversion, dict):
        conversion.setdefault("strategy", "None")
        service = _dict(_dict(_dict(conversion.get("webhook")).get("clientConfig")).get("service"))
        if service:
            service.setdefault("port", 443)
