"""CustomResourceDefinitions at the object level: structural schemas prune, default and
validate custom objects; a CRD is validated and turned into catalogue entries."""

# ruff: noqa: E501 -- expected messages are quoted whole, as users see them

import copy

from api_validation_builders import messages

from kubelite.api.crd import structural
from kubelite.api.crd.definition import served_types, version_priority

SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["image"],
            "properties": {
                "image": {"type": "string", "pattern": "^[a-z]+$"},
                "replicas": {"type": "integer", "minimum": 1, "default": 1},
                "mode": {"type": "string", "enum": ["fast", "slow"]},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "port": {"x-kubernetes-int-or-string": True},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "template": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object"}},
                },
            },
        }
    },
}


def cr(**spec):
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def test_pruning_drops_undeclared_fields_but_keeps_open_nodes_and_type_meta():
    schema = structural.compile_schema(SCHEMA)
    obj = cr(
        image="a",
        bogus=1,
        extra={"anything": {"goes": True}},
        template={"apiVersion": "v1", "kind": "X", "junk": 1},
    )
    obj["top"] = 2
    assert structural.prune(schema, obj) == ["spec.bogus", "spec.template.junk", "top"]
    assert obj["spec"] == {
        "image": "a",
        "extra": {"anything": {"goes": True}},
        "template": {"apiVersion": "v1", "kind": "X"},
    }
    assert obj["apiVersion"] == "example.com/v1" and obj["metadata"] == {"name": "w"}


def test_defaults_fill_missing_and_null_fields():
    schema = structural.compile_schema(SCHEMA)
    obj = cr(image="a")
    structural.default(schema, obj)
    assert obj["spec"]["replicas"] == 1
    obj = cr(image="a", replicas=None)
    structural.default(schema, obj)
    assert obj["spec"]["replicas"] == 1


def test_validation_speaks_kubernetes_schema_messages():
    schema = structural.compile_schema(SCHEMA)
    obj = cr(image="A1", replicas=0, mode="warp", tags=["a", "b", "c"], port=True)
    assert [e.message() for e in structural.validate(schema, obj)] == [
        "spec.image: Invalid value: \"A1\": spec.image in body should match '^[a-z]+$'",
        "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1",
        'spec.mode: Unsupported value: "warp": supported values: "fast", "slow"',
        "spec.tags: Too many: 3: must have at most 2 items",
        'spec.port: Invalid value: true: spec.port in body must be of type : "boolean"',
    ]
    assert [e.message() for e in structural.validate(schema, cr())] == ["spec.image: Required value"]
    assert [e.message() for e in structural.validate(schema, cr(image=5))] == [
        'spec.image: Invalid value: 5: spec.image in body must be of type string: "integer"'
    ]


def test_versions_sort_in_kubernetes_order():
    assert sorted(["v1beta1", "v1", "v2alpha1", "v2", "foo", "v1beta2"], key=version_priority) == [
        "v2",
        "v1",
        "v1beta2",
        "v1beta1",
        "v2alpha1",
        "foo",
    ]


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com", "uid": "u"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
        "versions": [
            {"name": "v1beta1", "served": True, "storage": False, "schema": {"openAPIV3Schema": SCHEMA}},
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": SCHEMA},
                "subresources": {
                    "status": {},
                    "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"},
                },
            },
            {"name": "v0", "served": False, "storage": False, "schema": {"openAPIV3Schema": SCHEMA}},
        ],
    },
}


def test_a_crd_serves_each_served_version_from_one_storage_prefix():
    types = served_types(CRD)
    assert [(t.group, t.version, t.plural, t.kind) for t in types] == [
        ("example.com", "v1", "widgets", "Widget"),
        ("example.com", "v1beta1", "widgets", "Widget"),
    ]
    assert {t.key_prefix for t in types} == {"/registry/example.com/widgets"}
    assert {t.stored_version for t in types} == {"v1"}
    assert [s.name for s in types[0].subresources] == ["scale", "status"]
    assert types[1].subresources == ()


def test_crd_validation():
    assert (
        messages(
            "apiextensions.k8s.io",
            "CustomResourceDefinition",
            {**CRD, "metadata": {"name": "widgets.example.com"}},
        )
        == []
    )
    bad = copy.deepcopy(CRD)
    bad["metadata"]["name"] = "x"
    bad["spec"]["group"] = "nodots"
    bad["spec"]["versions"][0]["storage"] = True
    bad["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = {"type": "string"}
    assert messages("apiextensions.k8s.io", "CustomResourceDefinition", bad) == [
        'metadata.name: Invalid value: "x": must be spec.names.plural+"."+spec.group',
        'spec.group: Invalid value: "nodots": should be a domain with at least one dot',
        'spec.versions[0].schema.openAPIV3Schema.type: Invalid value: "string": must be object at the root',
        "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{{Name:v1beta1 ...}, {Name:v1 ...}, {Name:v0 ...}}: must have exactly one version marked as storage version",
    ]
