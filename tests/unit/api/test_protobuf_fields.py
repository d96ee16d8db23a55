"""The protobuf field tables (kubelite/api/protobuf/*.py) agree with Kubernetes' own definitions.

The decoder and the tests' encoder are both driven by the hand-written tables, so a wrong
field number would round-trip happily and still garble what a real client sends. Here every
table entry is compared with protobuf_fields.json, the facts of Kubernetes' `generated.proto`
files (k8s.io/api and k8s.io/apimachinery at the release named in the file; regenerate it
with scripts/protobuf_fields.py): each described field exists with the same number, name and
kind, each message exists, and no field of a described message is missing from its table
(the decoder skips fields it does not know, so a missing one is silently lost).
"""

from __future__ import annotations

import json
from pathlib import Path

from kubelite.api.protobuf import descriptors
from kubelite.api.protobuf.descriptors import Field, Message, Shape

FACTS = json.loads((Path(__file__).with_name("protobuf_fields.json")).read_text())
PROTO: dict[str, list[list]] = FACTS["messages"]

SCALARS = {"str": "string", "i32": "int32", "i64": "int64", "bool": "bool", "bytes": "bytes"}
SCALARS |= {"f64": "double", "f32": "float"}
META = "k8s.io.apimachinery.pkg.apis.meta.v1"
SPECIALS = {
    "Time": f"{META}.Time",
    "MicroTime": f"{META}.MicroTime",
    "Duration": f"{META}.Duration",
    "FieldsV1": f"{META}.FieldsV1",
    "Quantity": "k8s.io.apimachinery.pkg.api.resource.Quantity",
    "IntOrString": "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
    "RawExtension": "k8s.io.apimachinery.pkg.runtime.RawExtension",
}

# The proto field name is the `name=` of the Go field's protobuf tag, which go-to-protobuf derives
# from the Go field name; the JSON name is the struct tag's. They agree except for these fields,
# whose JSON names (from the struct tags in k8s.io/api's types.go) are given here:
# (message, field number) -> JSON name.
NAME_EXCEPTIONS: dict[tuple[str, int], str] = {
    ("networking/v1.IngressClassParametersReference", 1): "apiGroup",  # Go APIGroup, proto aPIGroup
    ("authentication/v1.BoundObjectReference", 4): "uid",  # Go UID, proto uID
    ("admissionregistration/v1.MutatingWebhookConfiguration", 2): "webhooks",  # proto Webhooks
    ("admissionregistration/v1.ValidatingWebhookConfiguration", 2): "webhooks",  # proto Webhooks
    ("admissionregistration/v1.Validation", 1): "expression",  # proto Expression
    ("admissionregistration/v1.Variable", 1): "name",  # proto Name
    ("admissionregistration/v1.Variable", 2): "expression",  # proto Expression
}

# What the decoder reads from the messages it converts itself (decoder.py): number -> kind.
DECODED_SPECIALS: dict[str, dict[int, str]] = {
    "Time": {1: "int64", 2: "int32"},  # seconds, nanos
    "MicroTime": {1: "int64", 2: "int32"},
    "Duration": {1: "int64"},  # nanoseconds
    "IntOrString": {1: "int64", 2: "int32", 3: "string"},  # type, intVal, strVal
    "Quantity": {1: "string"},
    "RawExtension": {1: "bytes"},
    "FieldsV1": {1: "bytes"},
}

# (message, field number) -> why a field of Kubernetes' message is not in the table.
NOT_DESCRIBED: dict[tuple[str, int], str] = {}


def proto_type(type_name: str) -> str:
    """A table type ("i32", "Time", "core/v1.PodSpec") as the proto names it."""
    if type_name in SCALARS:
        return SCALARS[type_name]
    if type_name in SPECIALS:
        return SPECIALS[type_name]
    package, _, name = type_name.partition(".")
    if package == "meta/v1":
        return f"{META}.{name}"
    return f"k8s.io.api.{package.replace('/', '.')}.{name}"


def proto_kind(f: Field) -> str:
    kind = proto_type(f.type)
    if f.shape is Shape.LIST:
        return f"repeated {kind}"
    if f.shape is Shape.MAP:
        return f"map<string,{kind}>"
    return kind


# Packages whose facts protobuf_fields.json does not hold yet, and why.
NOT_IN_FACTS: dict[str, str] = {
    # Added with issue 12 (written from 1.28's generated.proto: v1 numbers its fields as v1beta3);
    # regenerate the facts with scripts/protobuf_fields.py to cover it.
    "flowcontrol/v1": "not in the facts generated before it was added",
    # kube-aggregator's own API: its generated.proto is not in k8s.io/api.
    "apiregistration/v1": "not part of k8s.io/api",
}


def described() -> list[Message]:
    return [
        descriptors.message(f"{package}.{name}")
        for package, (_, table) in descriptors.PACKAGES.items()
        if package not in NOT_IN_FACTS
        for name in table
    ]


def differences(msg: Message) -> list[str]:
    """What the table says about `msg` that Kubernetes' proto does not, and what it leaves out."""
    if msg.name not in PROTO:
        return [f"{msg.name}: no such message in Kubernetes' protobuf definitions"]
    proto = {number: (name, kind) for name, number, kind in PROTO[msg.name]}
    found = []
    for f in msg.fields.values():
        if f.number not in proto:
            found.append(f"{msg.name}: field {f.number} ({f.json or f.type}) does not exist")
            continue
        name, kind = proto.pop(f.number)
        if proto_kind(f) != kind:
            found.append(f"{msg.name}: field {f.number} ({name}) is {kind}, the table says {proto_kind(f)}")
        if f.inline or msg.items is not None:  # no JSON name of its own
            continue
        expected = NAME_EXCEPTIONS.get((msg.name, f.number), name)
        if f.json != expected:
            found.append(f"{msg.name}: field {f.number} is named {expected}, the table says {f.json}")
    for number, (name, kind) in sorted(proto.items()):
        if (msg.name, number) not in NOT_DESCRIBED:
            found.append(f"{msg.name}: field {number} ({name} {kind}) is missing from the table")
    return found


def test_every_table_entry_matches_kubernetes_generated_proto():
    found = [line for msg in described() for line in differences(msg)]
    assert found == [], "\n".join(found)


def test_the_decoder_reads_the_special_messages_as_kubernetes_defines_them():
    assert set(DECODED_SPECIALS) == descriptors.SPECIALS
    for name, fields in DECODED_SPECIALS.items():
        assert {number: kind for _, number, kind in PROTO[SPECIALS[name]]} == fields, name


def test_the_allow_lists_name_only_real_differences():
    """An allow-list entry the tables no longer need is taken out, so the lists stay true."""
    fields = {(m.name, f.number) for m in described() for f in m.fields.values()}
    for (msg, number), json_name in NAME_EXCEPTIONS.items():
        proto_name = {n: name for name, n, _ in PROTO[msg]}[number]
        assert (msg, number) in fields and json_name != proto_name, (msg, number)
    for (msg, number), why in NOT_DESCRIBED.items():
        assert (msg, number) not in fields and number in {n for _, n, _ in PROTO[msg]}, why


def test_the_facts_come_from_one_kubernetes_release():
    assert len(set(FACTS["sources"].values())) == 1
    assert {"meta/v1.ObjectMeta", "core/v1.Pod", "apps/v1.Deployment"} <= set(PROTO)
