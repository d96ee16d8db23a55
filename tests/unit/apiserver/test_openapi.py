"""OpenAPI v3 documents: what kubectl validation, apply and explain look for."""

from typing import Any

import orjson
import pytest

from kubelite.api.resources import ResourceCatalog, ResourceType, Subresource, default_catalog
from kubelite.apiserver import openapi

COMPONENT = "#/components/schemas/"


@pytest.fixture(scope="module")
def catalog() -> ResourceCatalog:
    return default_catalog()


def doc(catalog: ResourceCatalog, group: str, version: str) -> dict[str, Any]:
    body = openapi.document(catalog, group, version)
    assert body is not None
    return orjson.loads(body)


def refs(node: Any) -> set[str]:
    found: set[str] = set()

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            if isinstance(n.get("$ref"), str):
                found.add(n["$ref"])
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(node)
    return found


def names(params: list[dict[str, Any]]) -> set[str]:
    return {p["name"] for p in params if p["in"] == "query"}


def kind_schema(document: dict[str, Any], group: str, version: str, kind: str) -> dict[str, Any]:
    matches = [
        s
        for s in document["components"]["schemas"].values()
        if {"group": group, "version": version, "kind": kind} in s.get("x-kubernetes-group-version-kind", [])
    ]
    assert len(matches) == 1
    return matches[0]


def test_index_lists_every_served_group_version_with_a_content_hash(catalog):
    paths = openapi.index(catalog)["paths"]
    assert set(paths) == {openapi.gv_path(g, v) for g, v in catalog.group_versions()}
    assert "api/v1" in paths and "apis/apps/v1" in paths
    url = paths["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
    digest = url.split("hash=")[1]
    assert digest == openapi.document_hash(catalog, "apps", "v1")
    assert len(digest) == 128 and digest == digest.upper()


def test_documents_are_cached_and_stable(catalog):
    first = openapi.document(catalog, "apps", "v1")
    assert openapi.document(catalog, "apps", "v1") is first
    assert openapi.document(default_catalog(), "apps", "v1") == first


def test_unserved_group_versions_have_no_document(catalog):
    assert openapi.document(catalog, "apps", "v1beta1") is None
    assert openapi.document_hash(catalog, "nope.io", "v1") is None


def test_document_header(catalog):
    document = doc(catalog, "", "v1")
    assert document["openapi"] == "3.0.0"
    assert document["info"]["title"] == "Kubernetes"


def test_deployment_patch_operation_is_what_kubectl_validation_looks_for(catalog):
    patch = doc(catalog, "apps", "v1")["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"][
        "patch"
    ]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    assert patch["x-kubernetes-action"] == "patch"
    assert {"name": "fieldValidation", "in": "query"}.items() <= next(
        p for p in patch["parameters"] if p["name"] == "fieldValidation"
    ).items()
    assert {"dryRun", "fieldManager", "fieldValidation", "force"} <= names(patch["parameters"])
    assert set(patch["requestBody"]["content"]) == {
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/apply-patch+yaml",
    }
    assert patch["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": COMPONENT + "io.k8s.api.apps.v1.Deployment"
    }


def test_every_kind_in_every_document_has_a_validating_patch_operation(catalog):
    for group, version in catalog.group_versions():
        document = doc(catalog, group, version)
        patch_gvks = [
            op["x-kubernetes-group-version-kind"]
            for item in document["paths"].values()
            for method, op in item.items()
            if method == "patch" and "fieldValidation" in names(op["parameters"])
        ]
        for rt in catalog.in_group_version(group, version):
            if "patch" in rt.verbs:
                assert {"group": group, "version": version, "kind": rt.kind} in patch_gvks


def test_namespaced_resource_paths_and_actions(catalog):
    paths = doc(catalog, "", "v1")["paths"]
    collection = paths["/api/v1/namespaces/{namespace}/pods"]
    item = paths["/api/v1/namespaces/{namespace}/pods/{name}"]
    assert {m: op["x-kubernetes-action"] for m, op in collection.items() if m != "parameters"} == {
        "get": "list",
        "post": "post",
        "delete": "deletecollection",
    }
    assert {m: op["x-kubernetes-action"] for m, op in item.items() if m != "parameters"} == {
        "get": "get",
        "put": "put",
        "patch": "patch",
        "delete": "delete",
    }
    assert paths["/api/v1/pods"]["get"]["operationId"] == "listCoreV1PodForAllNamespaces"
    assert item["get"]["operationId"] == "readCoreV1NamespacedPod"
    assert collection["delete"]["operationId"] == "deleteCoreV1CollectionNamespacedPod"
    path_params = {p["name"] for p in item["parameters"] if p["in"] == "path"}
    assert path_params == {"name", "namespace"}


def test_writes_carry_dry_run_field_manager_and_field_validation(catalog):
    paths = doc(catalog, "", "v1")["paths"]
    post = paths["/api/v1/namespaces/{namespace}/configmaps"]["post"]
    put = paths["/api/v1/namespaces/{namespace}/configmaps/{name}"]["put"]
    for op in (post, put):
        assert {"dryRun", "fieldManager", "fieldValidation"} <= names(op["parameters"])
        assert op["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": COMPONENT + "io.k8s.api.core.v1.ConfigMap"
        }


def test_lists_reference_the_list_kind_and_accept_watch(catalog):
    get = doc(catalog, "apps", "v1")["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["get"]
    assert {
        "watch",
        "labelSelector",
        "fieldSelector",
        "limit",
        "continue",
        "resourceVersion",
        "sendInitialEvents",
    } <= names(get["parameters"])
    content = get["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {"$ref": COMPONENT + "io.k8s.api.apps.v1.DeploymentList"}
    assert "application/json;stream=watch" in content


def test_cluster_scoped_resources_have_no_namespace_segment(catalog):
    paths = doc(catalog, "", "v1")["paths"]
    assert "/api/v1/nodes/{name}" in paths
    assert not any("namespaces/{namespace}/nodes" in p for p in paths)
    assert "deleteCoreV1CollectionNode" == paths["/api/v1/nodes"]["delete"]["operationId"]
    assert "delete" not in paths["/api/v1/namespaces"]  # namespaces: no deletecollection
    assert (
        paths["/api/v1/namespaces/{name}/finalize"]["put"]["operationId"] == "replaceCoreV1NamespaceFinalize"
    )


def test_operations_follow_the_catalogue_verbs(catalog):
    paths = doc(catalog, "", "v1")["paths"]
    bindings = paths["/api/v1/namespaces/{namespace}/bindings"]
    assert set(bindings) == {"parameters", "post"}
    assert "/api/v1/namespaces/{namespace}/bindings/{name}" not in paths
    assert "/api/v1/bindings" not in paths
    statuses = paths["/api/v1/componentstatuses/{name}"]
    assert set(statuses) == {"parameters", "get"}
    assert set(paths["/api/v1/componentstatuses"]) == {"parameters", "get"}


def test_scale_subresource_is_autoscaling_v1_scale(catalog):
    item = doc(catalog, "apps", "v1")["paths"][
        "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"
    ]
    for method in ("get", "put", "patch"):
        assert item[method]["x-kubernetes-group-version-kind"] == {
            "group": "autoscaling",
            "version": "v1",
            "kind": "Scale",
        }
    assert item["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": COMPONENT + "io.k8s.api.autoscaling.v1.Scale"
    }
    assert item["patch"]["operationId"] == "patchAppsV1NamespacedDeploymentScale"


def test_status_and_binding_subresources(catalog):
    paths = doc(catalog, "", "v1")["paths"]
    status = paths["/api/v1/namespaces/{namespace}/pods/{name}/status"]
    assert set(status) == {"parameters", "get", "put", "patch"}
    assert status["patch"]["x-kubernetes-group-version-kind"]["kind"] == "Pod"
    binding = paths["/api/v1/namespaces/{namespace}/pods/{name}/binding"]
    assert binding["post"]["x-kubernetes-group-version-kind"]["kind"] == "Binding"
    eviction = paths["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]
    assert eviction["post"]["x-kubernetes-group-version-kind"] == {
        "group": "policy",
        "version": "v1",
        "kind": "Eviction",
    }


def test_every_operation_is_complete_and_operation_ids_are_unique(catalog):
    for group, version in catalog.group_versions():
        seen: set[str] = set()
        for path, item in doc(catalog, group, version)["paths"].items():
            for method, op in item.items():
                if method == "parameters" or path.endswith(f"/{version}/"):
                    continue
                assert op["operationId"] not in seen
                seen.add(op["operationId"])
                assert op["x-kubernetes-action"] in {
                    "get",
                    "list",
                    "post",
                    "put",
                    "patch",
                    "delete",
                    "deletecollection",
                }
                assert set(op["x-kubernetes-group-version-kind"]) == {"group", "version", "kind"}
                assert isinstance(op["parameters"], list)


def test_every_reference_resolves_inside_its_document(catalog):
    for group, version in catalog.group_versions():
        document = doc(catalog, group, version)
        schemas = document["components"]["schemas"]
        for ref in refs(document):
            assert ref.startswith(COMPONENT)
            assert ref[len(COMPONENT) :] in schemas, (group, version, ref)


def test_meta_types_are_always_published(catalog):
    schemas = doc(catalog, "scheduling.k8s.io", "v1")["components"]["schemas"]
    for kind in ("Status", "DeleteOptions", "ListMeta", "WatchEvent", "APIResourceList", "Patch"):
        assert "io.k8s.apimachinery.pkg.apis.meta.v1." + kind in schemas
    assert "io.k8s.api.core.v1.Pod" not in schemas  # only what the group-version reaches


def test_pod_schema_is_explainable(catalog):
    document = doc(catalog, "", "v1")
    pod = kind_schema(document, "", "v1", "Pod")
    assert pod["description"].startswith("Pod is a collection of containers")
    assert pod["type"] == "object"
    assert pod["properties"]["spec"] == {
        "allOf": [{"$ref": COMPONENT + "io.k8s.api.core.v1.PodSpec"}],
        "description": pod["properties"]["spec"]["description"],
    }
    spec = document["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]
    containers = spec["properties"]["containers"]
    assert containers["type"] == "array"
    assert containers["items"] == {"$ref": COMPONENT + "io.k8s.api.core.v1.Container"}
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-list-type"] == "map"
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    assert "containers" in spec["required"]


def test_schemas_are_openapi_3_0_types(catalog):
    document = doc(catalog, "", "v1")
    for name, component in document["components"]["schemas"].items():
        for node in _all_nodes(component):
            if "type" in node:
                assert isinstance(node["type"], str) and node["type"] != "null", name
            if "$ref" in node:
                assert set(node) == {"$ref"}, name  # siblings live beside an allOf instead


def _all_nodes(node: dict[str, Any]):
    """Every schema node under `node`, following the schema keywords only (a property may
    well be called "type")."""
    yield node
    for sub in node.get("properties", {}).values():
        yield from _all_nodes(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _all_nodes(node[key])
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in node.get(key, ()):
            yield from _all_nodes(sub)


def test_type_meta_fields_carry_no_enum(catalog):
    pod = kind_schema(doc(catalog, "", "v1"), "", "v1", "Pod")
    assert pod["properties"]["apiVersion"] == {
        "description": pod["properties"]["apiVersion"]["description"],
        "type": "string",
    }
    assert "enum" not in pod["properties"]["kind"]


def test_int_or_string_and_quantity_use_upstream_forms(catalog):
    schemas = doc(catalog, "apps", "v1")["components"]["schemas"]
    int_or_string = schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert int_or_string["format"] == "int-or-string"
    assert int_or_string["x-kubernetes-int-or-string"] is True
    assert {"type": "integer"} in int_or_string["oneOf"] and {"type": "string"} in int_or_string["oneOf"]
    quantity = schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]
    assert {"type": "string"} in quantity["oneOf"] and quantity["description"]


def test_every_kind_schema_carries_its_group_version_kind(catalog):
    for group, version in catalog.group_versions():
        document = doc(catalog, group, version)
        for rt in catalog.in_group_version(group, version):
            assert kind_schema(document, group, version, rt.kind)["description"]
            if "list" in rt.verbs:
                kind_schema(document, group, version, rt.kind + "List")


def test_a_resource_without_a_schema_keeps_unknown_fields():
    crontabs = ResourceType(
        "stable.example.com",
        "v1",
        "crontabs",
        "crontab",
        "CronTab",
        True,
        short_names=("ct",),
        subresources=(Subresource("status", "CronTab", ("get", "patch", "update")),),
    )
    catalog = ResourceCatalog([crontabs])
    document = doc(catalog, "stable.example.com", "v1")
    schemas = document["components"]["schemas"]
    crontab = schemas["com.example.stable.v1.CronTab"]
    assert crontab["x-kubernetes-preserve-unknown-fields"] is True
    assert crontab["x-kubernetes-group-version-kind"] == [
        {"group": "stable.example.com", "version": "v1", "kind": "CronTab"}
    ]
    assert "com.example.stable.v1.CronTabList" in schemas
    patch = document["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]["patch"]
    # No strategic merge patch without patch metadata, as for upstream CRDs.
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]
    assert "fieldValidation" in names(patch["parameters"])
    for ref in refs(document):
        assert ref[len(COMPONENT) :] in schemas
    assert list(openapi.index(catalog)["paths"]) == ["apis/stable.example.com/v1"]


def test_a_changed_catalogue_rebuilds_the_document():
    def make(plural, kind):
        return ResourceType("demo.example.com", "v1", plural, plural[:-1], kind, True)

    catalog = ResourceCatalog([make("widgets", "Widget")])
    before = openapi.document_hash(catalog, "demo.example.com", "v1")
    catalog.add(make("gadgets", "Gadget"))
    after = openapi.document_hash(catalog, "demo.example.com", "v1")
    assert before != after
    assert (
        "/apis/demo.example.com/v1/namespaces/{namespace}/gadgets"
        in doc(catalog, "demo.example.com", "v1")["paths"]
    )


def test_parse_gv_path():
    assert openapi.parse_gv_path("api/v1") == ("", "v1")
    assert openapi.parse_gv_path("/apis/apps/v1/") == ("apps", "v1")
    assert openapi.parse_gv_path("apis/apps") is None
    assert openapi.gv_path("", "v1") == "api/v1"
