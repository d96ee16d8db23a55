"""The OpenAPI v2 document kubectl 1.27/1.28 download as gnostic protobuf: what they read
from it, and that every definition passes kube-openapi's strict reader."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
import yaml

from kubelite.api.protobuf import wire
from kubelite.api.resources import default_catalog
from kubelite.apiserver import gnostic, openapi_v2

PRIMITIVES = {"string", "number", "integer", "boolean"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_v2.build_document(default_catalog())


def message(data: bytes | memoryview) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for number, _, value in wire.fields(data):
        out[number].append(value)
    return out


def named(entries: list[Any]) -> dict[str, memoryview]:
    """Repeated {1: name, 2: value} entries as a dict."""
    result = {}
    for entry in entries:
        fields = message(entry)
        result[bytes(fields[1][0]).decode()] = fields[2][0]
    return result


def test_writers_round_trip_through_the_reader():
    data = (
        wire.field_varint(1, 300)
        + wire.field_varint(2, -1)
        + wire.field_string(3, "é")
        + wire.field_double(4, 1.5)
        + wire.field_bytes(5, wire.field_varint(1, 1))
    )
    fields = list(wire.fields(data))
    assert fields[0][2] == 300 and wire.signed(fields[1][2]) == -1
    assert bytes(fields[2][2]).decode() == "é" and wire.double(fields[3][2]) == 1.5
    assert list(wire.fields(fields[4][2])) == [(1, 0, 1)]


def check_schema(node: dict[str, Any], known: set[str], where: str) -> None:
    """kube-openapi's proto.NewOpenAPIData rules, which fail the whole document."""
    if "$ref" in node:
        assert "properties" not in node and "type" not in node, where
        assert node["$ref"].removeprefix("#/definitions/") in known, where
        return
    types = node.get("type")
    types = [types] if isinstance(types, str) else (types or [])
    assert len(types) <= 1, where
    if types == ["array"]:
        assert isinstance(node.get("items"), dict), where
        check_schema(node["items"], known, where + "[]")
    elif types and types != ["object"]:
        assert types[0] in PRIMITIVES, where
    for name, sub in node.get("properties", {}).items():
        check_schema(sub, known, f"{where}.{name}")
    if isinstance(node.get("additionalProperties"), dict):
        check_schema(node["additionalProperties"], known, where + "{}")


def test_every_definition_parses_in_kube_openapis_strict_reader(document):
    known = set(document["definitions"])
    for name, definition in document["definitions"].items():
        check_schema(definition, known, name)
    assert document["definitions"][openapi_v2.schema.INT_OR_STRING]["format"] == "int-or-string"


def test_protobuf_carries_patch_operations_with_gvk_and_field_validation(document):
    doc = message(gnostic.encode(document))
    assert bytes(doc[1][0]) == b"2.0"
    paths = named(message(doc[8][0])[2])
    item = message(paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"])
    patch = message(item[8][0])
    consumes = {bytes(c).decode() for c in patch[7]}
    assert "application/strategic-merge-patch+json" in consumes
    extensions = {k: yaml.safe_load(bytes(message(v)[2][0]).decode()) for k, v in named(patch[13]).items()}
    assert extensions["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    query = []
    for item_bytes in patch[8]:
        parameter = message(message(item_bytes)[1][0])
        if 2 in parameter:  # NonBodyParameter -> QueryParameterSubSchema (3), name (4)
            sub = message(message(parameter[2][0])[3][0])
            query.append(bytes(sub[4][0]).decode())
    assert "fieldValidation" in query


def test_protobuf_definitions_keep_patch_strategy_extensions(document):
    doc = message(gnostic.encode(document))
    definitions = named(message(doc[9][0])[1])
    pod_spec = message(definitions["io.k8s.api.core.v1.PodSpec"])
    containers = message(named(message(pod_spec[25][0])[1])["containers"])
    assert [bytes(t).decode() for t in message(containers[22][0])[1]] == ["array"]
    items = message(message(containers[23][0])[1][0])
    assert bytes(items[1][0]) == b"#/definitions/io.k8s.api.core.v1.Container"
    extensions = {
        k: yaml.safe_load(bytes(message(v)[2][0]).decode()) for k, v in named(containers[31]).items()
    }
    assert extensions["x-kubernetes-patch-merge-key"] == "name"
    assert extensions["x-kubernetes-patch-strategy"] == "merge"
    deployment = message(definitions["io.k8s.api.apps.v1.Deployment"])
    gvk = {k: yaml.safe_load(bytes(message(v)[2][0]).decode()) for k, v in named(deployment[31]).items()}[
        "x-kubernetes-group-version-kind"
    ]
    assert gvk == [{"group": "apps", "kind": "Deployment", "version": "v1"}]


@pytest.mark.parametrize(
    ("accept", "answer"),
    [
        ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf", openapi_v2.PROTOBUF),
        ("application/com.github.proto-openapi.spec.v2.v1.0+protobuf", openapi_v2.PROTOBUF),
        ("application/json", "application/json"),
        (None, "application/json"),
        ("text/html", None),
    ],
)
def test_accept_header_chooses_protobuf_json_or_not_acceptable(accept, answer):
    assert openapi_v2.negotiate(accept) == answer


def test_encoding_is_cached_until_the_catalogue_changes():
    catalog = default_catalog()
    first = openapi_v2.encoded(catalog)
    assert openapi_v2.encoded(catalog) is first
    assert first.etag.startswith('"') and len(first.etag) == 130
