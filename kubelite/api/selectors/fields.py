"""Field selectors: `spec.nodeName=n1,status.phase!=Succeeded`.

A field selector is an AND of `field=value` / `field!=value` terms over a small,
per-resource set of fields (see `resource_fields`). Values may escape `\\,`, `\\=` and
`\\\\`. A field the resource does not support is a BadRequest worded as Kubernetes 1.32
words it for that resource, which differs by kind:

    field label not supported: spec.foo                    (pods, nodes, events, ...)
    field label "spec.foo" not supported for Job           (jobs)
    "spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from kubelite.api.errors import BadRequest
from kubelite.api.resources import ResourceType


class FieldRequirement(NamedTuple):
    """`field=value` (operator "=") or `field!=value` (operator "!=")."""

    field: str
    operator: str
    value: str


class FieldSelector:
    """An AND of field requirements; a missing field reads as "" (as in Kubernetes)."""

    __slots__ = ("_text", "empty", "requirements")

    def __init__(self, requirements: Iterable[FieldRequirement] = (), text: str | None = None) -> None:
        self.requirements = tuple(requirements)
        self.empty = not self.requirements
        self._text = (
            text
            if text is not None
            else ",".join(f"{r.field}{r.operator}{escape_field_value(r.value)}" for r in self.requirements)
        )

    def matches(self, fields: Mapping[str, str]) -> bool:
        get = fields.get
        for field, op, value in self.requirements:
            if (get(field, "") == value) != (op == "="):
                return False
        return True

    def exact_value(self, field: str) -> str | None:
        """The value `field` must equal, if a `field=value` term requires one."""
        for r in self.requirements:
            if r.field == field and r.operator == "=":
                return r.value
        return None

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"FieldSelector({self._text!r})"


def escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape_field_value(value: str) -> str:
    if not any(c in value for c in "\\,="):
        return value
    out: list[str] = []
    escaped = False
    for ch in value:
        if escaped:
            if ch not in "\\,=":
                raise BadRequest(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            # Kubernetes prints the rune with %v: its code point, not the character.
            raise BadRequest(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if escaped:
        raise BadRequest("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    terms, start, escaped = [], 0, False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def parse_field_selector(text: str, rt: ResourceType | None = None) -> FieldSelector:
    """Parse the `fieldSelector` query parameter; BadRequest with Kubernetes' message.

    With `rt`, also check every field is selectable on that resource
    (`validate_field_selector`).
    """
    reqs = []
    # Kubernetes sorts the raw terms; the first bad one (in that order) is reported.
    for term in sorted(_split_terms(text)) if text else ():
        if not term:
            continue
        for i in range(len(term)):
            op = (
                "!="
                if term.startswith("!=", i)
                else "=="
                if term.startswith("==", i)
                else ("=" if term[i] == "=" else "")
            )
            if op:
                value = _unescape_field_value(term[i + len(op) :])
                reqs.append(FieldRequirement(term[:i], "!=" if op == "!=" else "=", value))
                break
        else:
            raise BadRequest(f"invalid selector: '{text}'; can't understand '{term}'")
    selector = FieldSelector(reqs)
    return validate_field_selector(rt, selector) if rt is not None else selector


# How each resource rejects a field it cannot select on, as Kubernetes words it. Kinds that
# register a field label conversion say "field label not supported"; the rest fall back to
# apimachinery's default, which knows only the two metadata fields.
_UNSUPPORTED = "field label not supported: {field}"
_DEFAULT_UNSUPPORTED = '"{field}" is not a known field selector: only "metadata.name", "metadata.namespace"'
_FIELD_MESSAGES = {
    ("", "pods"): _UNSUPPORTED,
    ("", "nodes"): _UNSUPPORTED,
    ("", "replicationcontrollers"): _UNSUPPORTED,
    ("", "events"): _UNSUPPORTED,
    ("", "namespaces"): _UNSUPPORTED,
    ("", "secrets"): _UNSUPPORTED,
    ("", "services"): _UNSUPPORTED,
    ("events.k8s.io", "events"): _UNSUPPORTED,
    ("batch", "jobs"): 'field label "{field}" not supported for Job',
}
# Nodes and namespaces do not accept metadata.namespace (their conversions omit it).
_NO_NAMESPACE_FIELD = {("", "nodes"), ("", "namespaces")}
# Old spellings Kubernetes still accepts and rewrites.
_FIELD_ALIASES = {("", "pods"): {"spec.host": "spec.nodeName"}}
# Groups Kubernetes itself serves; a resource in any other group is a custom resource.
BUILTIN_GROUPS = frozenset(
    (
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    )
)


def is_custom_resource(rt: ResourceType) -> bool:
    return rt.group not in BUILTIN_GROUPS


def supported_fields(rt: ResourceType) -> frozenset[str]:
    """Every field a field selector may name for `rt`."""
    key = (rt.group, rt.plural)
    custom = is_custom_resource(rt)
    drop_namespace = key in _NO_NAMESPACE_FIELD or (custom and not rt.namespaced)
    base = {"metadata.name"} if drop_namespace else {"metadata.name", "metadata.namespace"}
    return frozenset(base.union(rt.field_selectors))


def validate_field_selector(rt: ResourceType, selector: FieldSelector) -> FieldSelector:
    """Check every field is selectable on `rt` and rewrite legacy aliases.

    Raises BadRequest with the message Kubernetes 1.32 gives for that resource.
    """
    supported = supported_fields(rt)
    aliases = _FIELD_ALIASES.get((rt.group, rt.plural), {})
    custom = is_custom_resource(rt)
    message = _UNSUPPORTED if custom else _FIELD_MESSAGES.get((rt.group, rt.plural), _DEFAULT_UNSUPPORTED)
    out = []
    for req in selector.requirements:
        field = aliases.get(req.field, req.field)
        if field not in supported:
            raise BadRequest(message.format(field=req.field))
        out.append(req if field == req.field else req._replace(field=field))
    return selector if not aliases else FieldSelector(out)
