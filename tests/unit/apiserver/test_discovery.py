"""Discovery bodies, legacy and aggregated, against the shapes kubectl and the Python
clients rely on (kubectl contract §1)."""

from typing import Any

import pytest

from kubelite.api.resources import ResourceCatalog, ResourceType, Subresource, default_catalog
from kubelite.apiserver import discovery


@pytest.fixture(scope="module")
def catalog() -> ResourceCatalog:
    return default_catalog()


def by_name(resource_list: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in resource_list["resources"]}


def aggregated_resources(body: dict[str, Any], group: str, version: str) -> dict[str, Any]:
    item = next(i for i in body["items"] if i["metadata"]["name"] == group)
    found = next(v for v in item["versions"] if v["version"] == version)
    return {r["resource"]: r for r in found["resources"]}


def test_api_versions_carries_the_server_address(catalog):
    assert discovery.api_versions(catalog, "10.0.0.1:6443") == {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}],
    }


def test_api_group_list_has_every_named_group_in_kubernetes_order_and_not_the_core_group(catalog):
    body = discovery.api_group_list(catalog)
    assert body["kind"] == "APIGroupList" and body["apiVersion"] == "v1"
    names = [g["name"] for g in body["groups"]]
    assert names == [
        "apiregistration.k8s.io",
        "apps",
        "events.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "networking.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "node.k8s.io",
        "discovery.k8s.io",
        "flowcontrol.apiserver.k8s.io",
    ]
    autoscaling = next(g for g in body["groups"] if g["name"] == "autoscaling")
    assert [v["version"] for v in autoscaling["versions"]] == ["v2", "v1"]
    assert autoscaling["preferredVersion"] == {"groupVersion": "autoscaling/v2", "version": "v2"}
    apps = body["groups"][1]
    assert apps == {
        "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
    }


def test_api_group(catalog):
    assert discovery.api_group(catalog, "batch") == {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": "batch",
        "versions": [{"groupVersion": "batch/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"},
    }
    assert discovery.api_group(catalog, "nope.io") is None
    assert discovery.api_group(catalog, "") is None


def test_resource_list_matches_the_contract_example(catalog):
    body = discovery.api_resource_list(catalog, "apps", "v1")
    assert body["kind"] == "APIResourceList" and body["apiVersion"] == "v1"
    assert body["groupVersion"] == "apps/v1"
    resources = by_name(body)
    deployments = resources["deployments"]
    assert deployments.pop("storageVersionHash")
    assert deployments == {
        "name": "deployments",
        "singularName": "deployment",
        "namespaced": True,
        "kind": "Deployment",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["deploy"],
        "categories": ["all"],
    }
    assert resources["deployments/scale"] == {
        "name": "deployments/scale",
        "singularName": "",
        "namespaced": True,
        "group": "autoscaling",
        "version": "v1",
        "kind": "Scale",
        "verbs": ["get", "patch", "update"],
    }
    assert resources["deployments/status"] == {
        "name": "deployments/status",
        "singularName": "",
        "namespaced": True,
        "kind": "Deployment",
        "verbs": ["get", "patch", "update"],
    }


def test_resources_are_in_name_order_with_subresources_after_their_parent(catalog):
    names = [r["name"] for r in discovery.api_resource_list(catalog, "", "v1")["resources"]]
    assert names == sorted(names)
    assert names.index("pods") < names.index("pods/binding") < names.index("pods/status")


def test_every_entry_has_singular_name_and_sorted_verbs(catalog):
    for group, version in catalog.group_versions():
        for entry in discovery.api_resource_list(catalog, group, version)["resources"]:
            assert "singularName" in entry
            assert (entry["singularName"] == "") == ("/" in entry["name"])
            assert entry["verbs"] == sorted(entry["verbs"])


def test_empty_short_names_and_categories_are_left_out(catalog):
    secrets = by_name(discovery.api_resource_list(catalog, "", "v1"))["secrets"]
    assert "shortNames" not in secrets and "categories" not in secrets
    configmaps = by_name(discovery.api_resource_list(catalog, "", "v1"))["configmaps"]
    assert configmaps["shortNames"] == ["cm"] and "categories" not in configmaps


def test_bindings_and_componentstatuses_are_listed_as_kubernetes_does(catalog):
    resources = by_name(discovery.api_resource_list(catalog, "", "v1"))
    assert resources["bindings"] == {
        "name": "bindings",
        "singularName": "binding",
        "namespaced": True,
        "kind": "Binding",
        "verbs": ["create"],
    }
    assert resources["componentstatuses"] == {
        "name": "componentstatuses",
        "singularName": "componentstatus",
        "namespaced": False,
        "kind": "ComponentStatus",
        "verbs": ["get", "list"],
        "shortNames": ["cs"],
    }
    assert resources["pods/binding"]["verbs"] == ["create"]
    assert resources["namespaces/finalize"] == {
        "name": "namespaces/finalize",
        "singularName": "",
        "namespaced": False,
        "kind": "Namespace",
        "verbs": ["update"],
    }


def test_only_catalogued_subresources_are_listed(catalog):
    resources = by_name(discovery.api_resource_list(catalog, "", "v1"))
    assert "pods/token" not in resources
    assert "pods/status" in resources
    ephemeral = resources["pods/ephemeralcontainers"]
    assert (ephemeral["kind"], sorted(ephemeral["verbs"])) == ("Pod", ["get", "patch", "update"])
    assert (resources["pods/eviction"]["group"], resources["pods/eviction"]["version"]) == ("policy", "v1")


def test_connect_subresources_are_listed_as_kubernetes_lists_them(catalog):
    resources = by_name(discovery.api_resource_list(catalog, "", "v1"))
    assert resources["pods/log"] == {
        "name": "pods/log",
        "singularName": "",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ["get"],
    }
    exec_ = resources["pods/exec"]
    assert (exec_["kind"], exec_["verbs"]) == ("PodExecOptions", ["create", "get"])
    assert resources["pods/attach"]["kind"] == "PodAttachOptions"
    assert resources["pods/portforward"]["kind"] == "PodPortForwardOptions"
    proxy_verbs = ["create", "delete", "get", "patch", "update"]
    proxy = resources["pods/proxy"]
    assert (proxy["kind"], proxy["verbs"]) == ("PodProxyOptions", proxy_verbs)
    assert (resources["services/proxy"]["kind"], resources["nodes/proxy"]["kind"]) == (
        "ServiceProxyOptions",
        "NodeProxyOptions",
    )
    assert resources["nodes/proxy"]["namespaced"] is False


def test_storage_version_hash_is_the_kubernetes_value():
    assert discovery.storage_version_hash("", "v1", "ConfigMap") == "qFsyl6wFWjQ="
    assert discovery.storage_version_hash("", "v1", "Pod") == "xPOwRZ+Yhw8="


def test_events_in_both_groups_share_their_storage_version_hash(catalog):
    core = by_name(discovery.api_resource_list(catalog, "", "v1"))["events"]
    events = by_name(discovery.api_resource_list(catalog, "events.k8s.io", "v1"))["events"]
    assert core["kind"] == events["kind"] == "Event"
    assert core["storageVersionHash"] == events["storageVersionHash"]


def test_unserved_group_version_has_no_resource_list(catalog):
    assert discovery.api_resource_list(catalog, "apps", "v1beta1") is None


def test_aggregated_core_is_one_item_named_empty(catalog):
    body = discovery.aggregated_core(catalog)
    assert body["kind"] == "APIGroupDiscoveryList"
    assert body["apiVersion"] == "apidiscovery.k8s.io/v2"
    assert body["metadata"] == {}
    assert [item["metadata"]["name"] for item in body["items"]] == [""]
    pods = aggregated_resources(body, "", "v1")["pods"]
    assert pods["responseKind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert pods["scope"] == "Namespaced" and pods["singularResource"] == "pod"
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    assert [s["subresource"] for s in pods["subresources"]] == [
        "attach",
        "binding",
        "ephemeralcontainers",
        "eviction",
        "exec",
        "log",
        "portforward",
        "proxy",
        "status",
    ]
    nodes = aggregated_resources(body, "", "v1")["nodes"]
    assert nodes["scope"] == "Cluster"


def test_aggregated_groups_match_the_contract_example(catalog):
    body = discovery.aggregated_groups(catalog)
    assert "" not in [item["metadata"]["name"] for item in body["items"]]
    apps = next(i for i in body["items"] if i["metadata"]["name"] == "apps")
    assert [(v["version"], v["freshness"]) for v in apps["versions"]] == [("v1", "Current")]
    deployments = aggregated_resources(body, "apps", "v1")["deployments"]
    assert deployments == {
        "resource": "deployments",
        "responseKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "scope": "Namespaced",
        "singularResource": "deployment",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["deploy"],
        "categories": ["all"],
        "subresources": [
            {
                "subresource": "scale",
                "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
                "verbs": ["get", "patch", "update"],
            },
            {
                "subresource": "status",
                "responseKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                "verbs": ["get", "patch", "update"],
            },
        ],
    }


def test_every_aggregated_resource_and_subresource_has_a_response_kind(catalog):
    for body in (discovery.aggregated_core(catalog), discovery.aggregated_groups(catalog)):
        for item in body["items"]:
            for version in item["versions"]:
                for resource in version["resources"]:
                    assert set(resource["responseKind"]) == {"group", "version", "kind"}
                    for sub in resource.get("subresources", ()):
                        assert sub["responseKind"]["kind"]


def test_the_same_kind_in_two_groups_is_listed_in_each(catalog):
    core = aggregated_resources(discovery.aggregated_core(catalog), "", "v1")["events"]
    events = aggregated_resources(discovery.aggregated_groups(catalog), "events.k8s.io", "v1")["events"]
    assert core["responseKind"]["group"] == "" and events["responseKind"]["group"] == "events.k8s.io"


def test_a_group_with_two_versions_lists_the_first_as_preferred():
    def make(version):
        return ResourceType("demo.io", version, "widgets", "widget", "Widget", True)

    catalog = ResourceCatalog([make("v2"), make("v1")])
    group = discovery.api_group_list(catalog)["groups"][0]
    assert group["preferredVersion"]["version"] == "v2"
    assert [v["version"] for v in group["versions"]] == ["v2", "v1"]
    item = discovery.aggregated_groups(catalog)["items"][0]
    assert [v["version"] for v in item["versions"]] == ["v2", "v1"]


def test_a_subresource_in_another_group_names_it_in_both_forms():
    eviction = Subresource("eviction", "Eviction", ("create",), group="policy", version="v1")
    catalog = ResourceCatalog([ResourceType("", "v1", "pods", "pod", "Pod", True, subresources=(eviction,))])
    entry = by_name(discovery.api_resource_list(catalog, "", "v1"))["pods/eviction"]
    assert (entry["group"], entry["version"], entry["kind"]) == ("policy", "v1", "Eviction")
    sub = aggregated_resources(discovery.aggregated_core(catalog), "", "v1")["pods"]["subresources"][0]
    assert sub["responseKind"] == {"group": "policy", "version": "v1", "kind": "Eviction"}


def test_core_group_absent_means_empty_aggregated_core():
    catalog = ResourceCatalog([ResourceType("apps", "v1", "deployments", "deployment", "Deployment", True)])
    assert discovery.aggregated_core(catalog)["items"] == []


KUBECTL_132 = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)
KUBECTL_127 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"


@pytest.mark.parametrize(
    "accept, expected",
    [
        (KUBECTL_132, True),
        (discovery.AGGREGATED_CONTENT_TYPE, True),
        ("application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io", True),
        (KUBECTL_127, False),  # only v2beta1 aggregated: fall back to legacy
        ("application/json, */*", False),
        ("*/*", False),
        ("", False),
        (None, False),
        ("application/json;q=0.9," + discovery.AGGREGATED_CONTENT_TYPE, True),
        ("application/json," + discovery.AGGREGATED_CONTENT_TYPE + ";q=0.5", False),
        (discovery.AGGREGATED_CONTENT_TYPE + ";q=0,application/json", False),
    ],
)
def test_wants_aggregated(accept, expected):
    assert discovery.wants_aggregated(accept) is expected


def test_aggregated_content_type_constant():
    assert (
        discovery.AGGREGATED_CONTENT_TYPE
        == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    )
