"""Validation of a CustomResourceDefinition (apiextensions.k8s.io/v1), with Kubernetes'
paths and messages: its name, group, scope and names; its versions (one storage version,
unique DNS-1035 names, a structural schema for every served version); printer columns and
subresources; on update, the fields that may not change and the stored versions.

The structural-schema checks cover the rules users meet: a type on every specified node,
`object` at the root, `items` for arrays, no `properties` beside `additionalProperties`, only
`name`/`generateName` under the root's `metadata`, and `x-kubernetes-embedded-resource`
only on objects. CEL rules (`x-kubernetes-validations`) are accepted but not compiled.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import FieldError, forbidden, invalid, not_supported, required
from kubelite.api.validation.fields import Errors, as_dict, as_list, as_str, child, immutable, index

SCOPES = ["Cluster", "Namespaced"]
COLUMN_TYPES = ["boolean", "date", "integer", "number", "string"]
COLUMN_FORMATS = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"]
_TYPES = ["array", "boolean", "integer", "number", "object", "string"]


def _dns1035(path: str, value: str, *, mixed_case: bool = False) -> Errors:
    problems = names.is_dns1035_label(value.lower() if mixed_case else value)
    if not value or not problems:
        return []
    detail = ",".join(problems)
    if mixed_case:
        detail = "may have mixed case, but should otherwise match: " + detail
    return [invalid(path, value, detail)]


def validate_names(n: dict[str, Any], path: str) -> Errors:
    errs = _dns1035(child(path, "plural"), as_str(n.get("plural")))
    errs += _dns1035(child(path, "singular"), as_str(n.get("singular")))
    errs += _dns1035(child(path, "kind"), as_str(n.get("kind")), mixed_case=True)
    errs += _dns1035(child(path, "listKind"), as_str(n.get("listKind")), mixed_case=True)
    for i, short in enumerate(as_list(n.get("shortNames"))):
        problems = names.is_dns1035_label(as_str(short))
        if problems:
            errs.append(invalid(index(child(path, "shortNames"), i), short, ",".join(problems)))
    kind = as_str(n.get("kind"))
    if kind and kind == n.get("listKind"):
        errs.append(invalid(child(path, "listKind"), kind, "kind and listKind may not be the same"))
    for i, category in enumerate(as_list(n.get("categories"))):
        problems = names.is_dns1035_label(as_str(category))
        if problems:
            errs.append(invalid(index(child(path, "categories"), i), category, ",".join(problems)))
    return errs


def validate_crd(crd: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(crd.get("spec"))
    spec_names = as_dict(spec.get("names"))
    errs: Errors = []
    name = as_str(as_dict(crd.get("metadata")).get("name"))
    wanted = f"{as_str(spec_names.get('plural'))}.{as_str(spec.get('group'))}"
    if name != wanted:
        errs.append(invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    errs += _spec(spec)
    status = as_dict(crd.get("status"))
    errs += validate_names(as_dict(status.get("acceptedNames")), "status.acceptedNames")
    if old is not None:
        old_spec = as_dict(old.get("spec"))
        errs += immutable(spec.get("scope"), old_spec.get("scope"), "spec.scope")
        errs += immutable(
            spec_names.get("kind"), as_dict(old_spec.get("names")).get("kind"), "spec.names.kind"
        )
        errs += immutable(spec.get("group"), old_spec.get("group"), "spec.group")
        errs += immutable(
            spec_names.get("plural"), as_dict(old_spec.get("names")).get("plural"), "spec.names.plural"
        )
        errs += _stored_versions(as_list(status.get("storedVersions")), as_list(spec.get("versions")))
    return errs


def _spec(spec: dict[str, Any]) -> Errors:
    errs: Errors = []
    group = as_str(spec.get("group"))
    if not group:
        errs.append(required("spec.group"))
    elif problems := names.is_dns1123_subdomain(group):
        errs.append(invalid("spec.group", group, ",".join(problems)))
    elif "." not in group:
        errs.append(invalid("spec.group", group, "should be a domain with at least one dot"))
    scope = as_str(spec.get("scope"))
    if not scope:
        errs.append(required("spec.scope"))
    elif scope not in SCOPES:
        errs.append(not_supported("spec.scope", scope, SCOPES))
    errs += _versions(as_list(spec.get("versions")))
    spec_names = as_dict(spec.get("names"))
    for field in ("plural", "singular", "kind", "listKind"):
        if not as_str(spec_names.get(field)):
            errs.append(required(f"spec.names.{field}"))
    errs += validate_names(spec_names, "spec.names")
    strategy = as_dict(spec.get("conversion")).get("strategy")
    if strategy not in (None, "None", "Webhook"):
        errs.append(not_supported("spec.conversion.strategy", strategy, ["None", "Webhook"]))
    return errs


def _versions(versions: list[Any]) -> Errors:
    errs: Errors = []
    storage = 0
    seen: set[str] = set()
    unique = True
    for i, version in enumerate(versions):
        version = as_dict(version)
        path = index("spec.versions", i)
        vname = as_str(version.get("name"))
        storage += 1 if version.get("storage") else 0
        if vname in seen:
            unique = False
        seen.add(vname)
        problems = names.is_dns1035_label(vname)
        if problems:
            errs.append(invalid(child(path, "name"), vname, ",".join(problems)))
        errs += _version(version, path)
    shown = _VersionsValue(versions)
    if not unique:
        errs.append(invalid("spec.versions", shown, "must contain unique version names"))
    if storage != 1:
        errs.append(
            invalid("spec.versions", shown, "must have exactly one version marked as storage version")
        )
    return errs


def _version(version: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    schema = as_dict(version.get("schema")).get("openAPIV3Schema")
    schema_path = child(path, "schema", "openAPIV3Schema")
    subresources = as_dict(version.get("subresources"))
    if not isinstance(schema, dict):
        errs.append(required(schema_path, "schemas are required"))
    else:
        errs += _root_schema(schema, schema_path, "status" in subresources)
    for i, column in enumerate(as_list(version.get("additionalPrinterColumns"))):
        errs += _column(as_dict(column), index(child(path, "additionalPrinterColumns"), i))
    scale = subresources.get("scale")
    if isinstance(scale, dict):
        scale_path = child(path, "subresources", "scale")
        for field in ("specReplicasPath", "statusReplicasPath"):
            value = as_str(scale.get(field))
            if not value:
                errs.append(required(child(scale_path, field)))
            elif not value.startswith(".spec." if field == "specReplicasPath" else ".status."):
                where = ".spec" if field == "specReplicasPath" else ".status"
                errs.append(invalid(child(scale_path, field), value, f"should be a json path under {where}"))
    return errs


def _column(column: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    if not as_str(column.get("name")):
        errs.append(required(child(path, "name")))
    kind = as_str(column.get("type"))
    if not kind:
        errs.append(required(child(path, "type"), "must be one of " + ",".join(COLUMN_TYPES)))
    elif kind not in COLUMN_TYPES:
        errs.append(invalid(child(path, "type"), kind, "must be one of " + ",".join(COLUMN_TYPES)))
    fmt = as_str(column.get("format"))
    if fmt and fmt not in COLUMN_FORMATS:
        errs.append(invalid(child(path, "format"), fmt, "must be one of " + ",".join(COLUMN_FORMATS)))
    json_path = as_str(column.get("jsonPath"))
    if not json_path:
        errs.append(required(child(path, "JSONPath")))
    elif not json_path.startswith("."):
        errs.append(invalid(child(path, "JSONPath"), json_path, "must be a simple json path starting with ."))
    return errs


def _root_schema(schema: dict[str, Any], path: str, status: bool) -> Errors:
    errs: Errors = []
    if schema.get("nullable") is True:
        errs.append(forbidden(child(path, "nullable"), "nullable cannot be true at the root"))
    errs += _structural(schema, path, "root")
    metadata = as_dict(schema.get("properties")).get("metadata")
    if isinstance(metadata, dict):
        allowed = {"name", "generateName"}
        extra = {k for k in metadata if k not in ("type", "properties")}
        if extra or not set(as_dict(metadata.get("properties"))) <= allowed:
            errs.append(
                forbidden(
                    child(path, "properties[metadata]"),
                    "must not specify anything other than name and generateName, but metadata is implicitly "
                    "specified",
                )
            )
    return errs


def _structural(s: dict[str, Any], path: str, level: str) -> Errors:
    errs: Errors = []
    declared = s.get("type")
    kind = declared if isinstance(declared, str) else ""
    if kind and kind not in _TYPES:
        errs.append(not_supported(child(path, "type"), kind, _TYPES))
    if kind == "array" and not isinstance(s.get("items"), dict):
        errs.append(required(child(path, "items"), "must be specified"))
    if isinstance(s.get("items"), dict):
        errs += _structural(s["items"], child(path, "items"), "item")
    for key, sub in as_dict(s.get("properties")).items():
        if isinstance(sub, dict):
            errs += _structural(sub, f"{path}.properties[{key}]", "field")
    extra = s.get("additionalProperties")
    if isinstance(extra, dict):
        if s.get("properties"):
            errs.append(
                forbidden(
                    child(path, "additionalProperties"),
                    "additionalProperties and properties are mutual exclusive",
                )
            )
        errs += _structural(extra, child(path, "additionalProperties"), "field")
    errs += _type_present(s, kind, path, level)
    return errs


def _type_present(s: dict[str, Any], kind: str, path: str, level: str) -> Errors:
    embedded = s.get("x-kubernetes-embedded-resource") is True
    if embedded and kind != "object":
        message = "must be object if x-kubernetes-embedded-resource is true"
        return [
            required(child(path, "type"), message)
            if not kind
            else invalid(child(path, "type"), kind, message)
        ]
    open_node = (
        s.get("x-kubernetes-int-or-string") is True or s.get("x-kubernetes-preserve-unknown-fields") is True
    )
    if not kind and not open_node:
        where = {
            "root": "at the root",
            "item": "for specified array items",
            "field": "for specified object fields",
        }
        return [required(child(path, "type"), f"must not be empty {where[level]}")]
    if level == "root" and kind and kind != "object":
        return [invalid(child(path, "type"), kind, "must be object at the root")]
    return []


def _stored_versions(stored: list[Any], versions: list[Any]) -> Errors:
    if not stored:
        return [invalid("status.storedVersions", stored, "must have at least one stored version")]
    errs: Errors = []
    remaining = {as_str(v): i for i, v in enumerate(stored)}
    for version in versions:
        version = as_dict(version)
        vname = as_str(version.get("name"))
        if version.get("storage") and vname not in remaining:
            errs.append(invalid("status.storedVersions", stored, "must have the storage version " + vname))
        remaining.pop(vname, None)
    for vname, i in remaining.items():
        errs.append(invalid(index("status.storedVersions", i), vname, "must appear in spec.versions"))
    return errs


class _VersionsValue:
    """spec.versions as Kubernetes prints it in these messages (a Go slice dump): shown short."""

    def __init__(self, versions: list[Any]) -> None:
        self.versions = versions

    def __str__(self) -> str:
        shown = ", ".join(f"{{Name:{as_str(as_dict(v).get('name'))} ...}}" for v in self.versions)
        return f"[]apiextensions.CustomResourceDefinitionVersion{{{shown}}}"


__all__ = ["FieldError", "validate_crd", "validate_names"]
