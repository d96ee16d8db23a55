"""What each protobuf field number means: our compact tables, compiled once.

The table modules (`meta`, `core`, `core_volumes`, `apps`, `batch`, `networking`,
`auth`, `coordination`, `events`, `policy`, `scheduling`, `storage`, `node`,
`flowcontrol`) describe
every message of a Kubernetes API package as one string of comma-separated fields, in the order of the Go
struct::

    "ContainerPort": "1 name~, 2 hostPort:i32~, 3 containerPort:i32, 4 protocol~, 5 hostIP~"

A field is `<number> <json name>[:<type>][~]`:

- type: `str` (the default), `i32`, `i64`, `bool`, `bytes`, `f64`, `f32`, or
  a message name; `[]T` is a repeated field, `{}T` a map with string keys
  (maps arrive as repeated `{1: key, 2: value}` entries). A message name is
  looked up in the same package, then in `meta/v1`; another package is named
  in full, `core/v1.PodTemplateSpec`.
- `~` marks a Go field that is not a pointer and has `omitempty`: Go always
  writes it to the wire, but its JSON leaves it out when it is the zero value,
  so the decoder drops "", 0, false and null there. Every other field becomes a
  JSON key exactly when it is on the wire; pointers are written only when set,
  so defaults stay absent.
- `<number> ...T` is a struct embedded in Go (`json:",inline"`): on the wire
  it is one nested message, in JSON its fields sit in the parent object.
- a message whose whole spec is `[]T` is a Go named slice (`ExtraValue`,
  `Verbs`): on the wire `{1: repeated items}`, in JSON the bare list.

Special messages are converted by the decoder rather than described here:
Time, MicroTime, Duration, IntOrString, Quantity, RawExtension, FieldsV1.

The field numbers and JSON names are those of Kubernetes' `generated.proto`
files and Go struct tags (k8s.io/api and k8s.io/apimachinery v0.36); names
added after kubectl 1.32 are harmless, since a field absent from the wire is
never emitted.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass

from kubelite.api.protobuf import (
    apps,
    auth,
    batch,
    coordination,
    core,
    core_volumes,
    events,
    flowcontrol,
    meta,
    networking,
    node,
    policy,
    scheduling,
    storage,
)

SCALARS = frozenset({"str", "i32", "i64", "bool", "bytes", "f64", "f32"})
SPECIALS = frozenset({"Time", "MicroTime", "Duration", "IntOrString", "Quantity", "RawExtension", "FieldsV1"})

# package id -> (apiVersion, message tables). The only registry: nothing registers on import.
PACKAGES: dict[str, tuple[str, Mapping[str, str]]] = {
    "meta/v1": ("meta.k8s.io/v1", meta.META_V1),
    "core/v1": ("v1", {**core.CORE_V1, **core_volumes.CORE_V1_VOLUMES}),
    "apps/v1": ("apps/v1", apps.APPS_V1),
    "autoscaling/v1": ("autoscaling/v1", apps.AUTOSCALING_V1),
    "autoscaling/v2": ("autoscaling/v2", apps.AUTOSCALING_V2),
    "batch/v1": ("batch/v1", batch.BATCH_V1),
    "networking/v1": ("networking.k8s.io/v1", networking.NETWORKING_V1),
    "discovery/v1": ("discovery.k8s.io/v1", networking.DISCOVERY_V1),
    "rbac/v1": ("rbac.authorization.k8s.io/v1", auth.RBAC_V1),
    "authorization/v1": ("authorization.k8s.io/v1", auth.AUTHORIZATION_V1),
    "authentication/v1": ("authentication.k8s.io/v1", auth.AUTHENTICATION_V1),
    "certificates/v1": ("certificates.k8s.io/v1", auth.CERTIFICATES_V1),
    "admissionregistration/v1": ("admissionregistration.k8s.io/v1", auth.ADMISSIONREGISTRATION_V1),
    "coordination/v1": ("coordination.k8s.io/v1", coordination.COORDINATION_V1),
    "events/v1": ("events.k8s.io/v1", events.EVENTS_V1),
    "policy/v1": ("policy/v1", policy.POLICY_V1),
    "scheduling/v1": ("scheduling.k8s.io/v1", scheduling.SCHEDULING_V1),
    "storage/v1": ("storage.k8s.io/v1", storage.STORAGE_V1),
    "node/v1": ("node.k8s.io/v1", node.NODE_V1),
    "flowcontrol/v1": ("flowcontrol.apiserver.k8s.io/v1", flowcontrol.FLOWCONTROL_V1),
    "apiregistration/v1": ("apiregistration.k8s.io/v1", flowcontrol.APIREGISTRATION_V1),
}

# Kinds of meta/v1 that clients encode under any group's apiVersion (client-go
# registers the option types in every group version).
META_KINDS = frozenset(
    {
        "DeleteOptions",
        "CreateOptions",
        "UpdateOptions",
        "PatchOptions",
        "GetOptions",
        "ListOptions",
        "Status",
        "WatchEvent",
        "List",
    }
)


class Shape(enum.Enum):
    ONE = "one"
    LIST = "list"
    MAP = "map"


@dataclass(slots=True, frozen=True)
class Field:
    number: int
    json: str  # "" for an inlined struct
    type: str  # a scalar kind, a special, or a qualified message name "core/v1.PodSpec"
    shape: Shape = Shape.ONE
    omit_zero: bool = False
    inline: bool = False

    @property
    def is_message(self) -> bool:
        return self.type not in SCALARS


@dataclass(slots=True, frozen=True)
class Message:
    name: str  # qualified: "core/v1.Pod"
    fields: dict[int, Field]
    items: Field | None = None  # set for a named slice: the JSON value is this field's list
    omit_zero: tuple[str, ...] = ()  # JSON names of the `~` fields


class DescriptorError(ValueError):
    """A table entry does not parse or names a message that does not exist."""


def message(name: str) -> Message:
    """The compiled message `name` (qualified) or a special's name."""
    try:
        return _registry()[name]
    except KeyError:
        raise DescriptorError(f"unknown protobuf message {name}") from None


def lookup_kind(api_version: str, kind: str) -> Message | None:
    """The top-level message for an object's apiVersion and kind, or None."""
    registry = _registry()
    package = _BY_API_VERSION.get(api_version)
    if package is not None and f"{package}.{kind}" in registry:
        return registry[f"{package}.{kind}"]
    if kind in META_KINDS:
        return registry[f"meta/v1.{kind}"]
    return None


_BY_API_VERSION = {api_version: package for package, (api_version, _) in PACKAGES.items()}


@functools.cache
def _registry() -> dict[str, Message]:
    compiled: dict[str, Message] = {}
    for package, (_, table) in PACKAGES.items():
        for name, spec in table.items():
            compiled[f"{package}.{name}"] = _compile(package, name, spec)
    for name in SPECIALS:
        compiled[name] = Message(name, {})
    for msg in compiled.values():  # fail at first use, not on some rare request
        for f in (*msg.fields.values(), *([msg.items] if msg.items else [])):
            if f.is_message and f.type not in compiled:
                raise DescriptorError(f"{msg.name}: field {f.number} names unknown message {f.type}")
    return compiled


def _compile(package: str, name: str, spec: str) -> Message:
    qualified = f"{package}.{name}"
    spec = spec.strip()
    if spec.startswith("[]"):
        items = Field(1, "items", _resolve(package, spec[2:]), Shape.LIST)
        return Message(qualified, {1: items}, items)
    fields: dict[int, Field] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        try:
            f = _parse_field(package, item)
        except (ValueError, DescriptorError) as err:
            raise DescriptorError(f"{qualified}: bad field {item!r}: {err}") from None
        if f.number in fields:
            raise DescriptorError(f"{qualified}: field number {f.number} used twice")
        fields[f.number] = f
    return Message(qualified, fields, omit_zero=tuple(f.json for f in fields.values() if f.omit_zero))


def _parse_field(package: str, item: str) -> Field:
    number_text, _, rest = item.partition(" ")
    number = int(number_text)
    if rest.startswith("..."):
        return Field(number, "", _resolve(package, rest[3:]), inline=True)
    omit_zero = rest.endswith("~")
    rest = rest.rstrip("~")
    json_name, _, type_text = rest.partition(":")
    shape = Shape.ONE
    if type_text.startswith("[]"):
        shape, type_text = Shape.LIST, type_text[2:]
    elif type_text.startswith("{}"):
        shape, type_text = Shape.MAP, type_text[2:]
    if not json_name:
        raise DescriptorError("missing JSON name")
    return Field(number, json_name, _resolve(package, type_text or "str"), shape, omit_zero)


def _resolve(package: str, type_name: str) -> str:
    if type_name in SCALARS or type_name in SPECIALS:
        return type_name
    if "." in type_name:  # already qualified: "core/v1.ObjectReference"
        return type_name
    if type_name in PACKAGES[package][1]:
        return f"{package}.{type_name}"
    return f"meta/v1.{type_name}"
