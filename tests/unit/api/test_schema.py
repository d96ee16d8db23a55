"""The published 1.32 schemas: lookup by kind, patch metadata, unknown fields."""

from kubelite.api import schema


def test_definitions_load_with_descriptions():
    pod = schema.definition("io.k8s.api.core.v1.Pod")
    assert pod["description"].startswith("Pod is a collection of containers")
    assert {"group": "", "version": "v1", "kind": "Pod"} in pod["x-kubernetes-group-version-kind"]


def test_definitions_are_loaded_once():
    assert schema.definitions() is schema.definitions()


def test_definition_for_kind_finds_each_group_separately():
    assert schema.definition_for_kind("", "v1", "Event") == "io.k8s.api.core.v1.Event"
    assert schema.definition_for_kind("events.k8s.io", "v1", "Event") == "io.k8s.api.events.v1.Event"
    assert schema.definition_for_kind("apps", "v1", "DeploymentList") == "io.k8s.api.apps.v1.DeploymentList"
    assert schema.definition_for_kind("autoscaling", "v1", "Scale") == "io.k8s.api.autoscaling.v1.Scale"


def test_definition_for_kind_is_none_for_unpublished_kinds():
    assert schema.definition_for_kind("stable.example.com", "v1", "CronTab") is None
    assert schema.definition_for_kind("apps", "v1beta9", "Deployment") is None


def test_containers_merge_by_name():
    meta = schema.patch_meta("", "v1", "Pod", "spec.containers")
    assert meta.merges and meta.merge_key == "name"
    assert meta.list_type == "map" and meta.list_map_keys == ("name",)


def test_patch_meta_follows_paths_through_list_elements():
    ports = schema.patch_meta("apps", "v1", "Deployment", "spec.template.spec.containers[0].ports")
    assert ports.merge_key == "containerPort"
    assert ports.list_map_keys == ("containerPort", "protocol")
    same = schema.patch_meta("apps", "v1", "Deployment", ["spec", "template", "spec", "containers", "ports"])
    assert same == ports


def test_volumes_merge_and_retain_keys():
    meta = schema.patch_meta("", "v1", "Pod", "spec.volumes")
    assert meta.strategies == ("merge", "retainKeys")
    assert meta.merges and meta.retains_keys


def test_patch_meta_on_a_reference_comes_from_the_field():
    # DeploymentSpec.strategy refers to DeploymentStrategy and says retainKeys itself.
    assert schema.patch_meta("apps", "v1", "Deployment", "spec.strategy").retains_keys
    # PodDisruptionBudgetSpec.selector replaces the whole LabelSelector...
    selector = schema.patch_meta("policy", "v1", "PodDisruptionBudget", "spec.selector")
    assert selector.replaces
    # ...and LabelSelector is atomic as a type, which the field inherits.
    assert selector.map_type == "atomic"


def test_finalizers_are_a_merged_set():
    meta = schema.patch_meta("", "v1", "ConfigMap", "metadata.finalizers")
    assert meta.merges and meta.merge_key is None and meta.list_type == "set"


def test_plain_fields_unknown_fields_and_unknown_kinds_have_no_patch_meta():
    assert schema.patch_meta("", "v1", "Pod", "spec.nodeName") == schema.NO_PATCH_META
    assert schema.patch_meta("", "v1", "Pod", "spec.nope") == schema.NO_PATCH_META
    assert schema.patch_meta("", "v1", "Pod", "metadata.labels.app") == schema.NO_PATCH_META
    assert schema.patch_meta("x.io", "v1", "Thing", "spec") == schema.NO_PATCH_META


def test_kind_trees_are_cached_and_share_definitions():
    pod = schema.kind_schema("", "v1", "Pod")
    assert pod is schema.kind_schema("", "v1", "Pod")
    deployment = schema.kind_schema("apps", "v1", "Deployment")
    pod_container = schema.node_at(pod, "spec.containers").items
    deploy_container = schema.node_at(deployment, "spec.template.spec.containers").items
    assert pod_container is deploy_container
    assert pod_container.name == "io.k8s.api.core.v1.Container"


def test_node_types_smooth_over_nullable_and_one_of_encodings():
    deployment = schema.kind_schema("apps", "v1", "Deployment")
    assert schema.node_at(deployment, "spec.replicas").type == "integer"
    assert schema.node_at(deployment, "spec.strategy.rollingUpdate.maxSurge").type == "int-or-string"
    limits = schema.node_at(deployment, "spec.template.spec.containers.resources.limits")
    assert limits.type == schema.MAP and limits.values.type == "quantity"
    assert schema.node_at(deployment, "metadata.labels").type == schema.MAP
    assert schema.node_at(deployment, "spec.template.spec.containers").type == schema.ARRAY
    assert schema.node_at(deployment, "metadata.managedFields.fieldsV1").is_open


def test_known_fields_lists_a_structs_fields():
    assert "imagePullPolicy" in schema.known_fields("", "v1", "Pod", "spec.containers")
    assert set(schema.known_fields("", "v1", "ConfigMap")) >= {"apiVersion", "kind", "metadata", "data"}
    assert schema.known_fields("", "v1", "Pod", "metadata.labels") == []


def test_unknown_fields_are_reported_with_their_paths():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"any": "key"}, "bogus": 1},
        "spec": {
            "containers": [
                {"name": "a", "image": "nginx", "resources": {"limits": {"cpu": "1"}}},
                {
                    "name": "b",
                    "image": "nginx",
                    "imagePullPolicyy": "Always",
                    "ports": [{"containerPort": 80, "hostPortt": 1}],
                },
            ],
            "extra": {"deep": True},
        },
    }
    assert schema.unknown_fields("", "v1", "Pod", pod) == [
        "metadata.bogus",
        "spec.containers[1].imagePullPolicyy",
        "spec.containers[1].ports[0].hostPortt",
        "spec.extra",
    ]


def test_a_valid_object_has_no_unknown_fields():
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "annotations": {"a": "b"},
            "managedFields": [{"manager": "m", "fieldsV1": {"f:spec": {}}}],
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "a", "image": "nginx", "env": [{"name": "X", "value": "1"}]}]
                },
            },
        },
        "status": None,
    }
    assert schema.unknown_fields("apps", "v1", "Deployment", deployment) == []


def test_free_form_fields_and_unpublished_kinds_keep_everything():
    # WatchEvent.object is a RawExtension: any object at all.
    event = {"type": "ADDED", "object": {"kind": "Whatever", "made": {"up": 1}}}
    assert schema.unknown_fields("", "v1", "WatchEvent", event) == []
    assert schema.unknown_fields("x.io", "v1", "Thing", {"anything": {"goes": 1}}) == []


def test_unknown_fields_ignore_type_mismatches():
    # Wrong types are validation's business; the walk neither crashes nor reports them.
    pod = {"spec": {"containers": "not-a-list", "volumes": [None, 3]}, "metadata": []}
    assert schema.unknown_fields("", "v1", "Pod", pod) == []


def test_recursive_definitions_compile_to_cycles():
    props = schema.named_schema("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps")
    assert props is not None
    assert props.field("properties").values is props


def test_a_crd_schema_compiles_with_kubernetes_extensions():
    compiler = schema.SchemaCompiler({})
    root = compiler.compile(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "port": {"x-kubernetes-int-or-string": True},
                        "items": {
                            "type": "array",
                            "x-kubernetes-list-type": "map",
                            "x-kubernetes-list-map-keys": ["id"],
                            "items": {"type": "object", "properties": {"id": {"type": "string"}}},
                        },
                    },
                },
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        }
    )
    spec = root.field("spec")
    assert spec.field("port").type == "int-or-string"
    assert spec.field_meta("items").list_map_keys == ("id",)
    assert root.unknown_fields({"spec": {"items": [{"id": "a", "x": 1}]}, "status": {"free": 1}}) == [
        "spec.items[0].x"
    ]


def test_patch_strategy_gives_the_pair_strategic_merge_walks_by():
    assert schema.patch_strategy("", "v1", "Pod", ("spec", "volumes")) == ("merge,retainKeys", "name")
    assert schema.patch_strategy("apps", "v1", "Deployment", ("spec", "template", "spec", "containers")) == (
        "merge",
        "name",
    )
    assert schema.patch_strategy("", "v1", "Pod", ("spec", "nodeName")) == ("", "")
