"""Patch semantics the server applies: JSON patch, merge patch, strategic merge patch."""

import pytest

from kubelite.api import errors
from kubelite.api.resources import default_catalog
from kubelite.apiserver.patch import (
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_MERGE_PATCH,
    apply_patch,
    pinned_resource_version,
)

DEPLOY = default_catalog().get("apps", "v1", "deployments")


def _deployment():
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "labels": {"a": "1"}},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "web", "image": "nginx:1", "env": [{"name": "A", "value": "1"}]},
                        {"name": "sidecar", "image": "busybox"},
                    ]
                }
            }
        },
    }


def test_merge_patch_sets_and_removes_keys():
    out = apply_patch(MERGE_PATCH, _deployment(), {"metadata": {"labels": {"a": None, "b": "2"}}}, DEPLOY)
    assert out["metadata"]["labels"] == {"b": "2"}


def test_merge_patch_replaces_lists_whole():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "x"}]}}}}
    out = apply_patch(MERGE_PATCH, _deployment(), patch, DEPLOY)
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["only"]


def test_strategic_merge_merges_containers_by_name():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:2"}]}}}}
    out = apply_patch(STRATEGIC_MERGE_PATCH, _deployment(), patch, DEPLOY)
    cs = out["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in cs] == ["web", "sidecar"]
    assert cs[0]["image"] == "nginx:2" and cs[0]["env"] == [{"name": "A", "value": "1"}]


def test_strategic_merge_delete_directive_removes_an_element():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}}
    out = apply_patch(STRATEGIC_MERGE_PATCH, _deployment(), patch, DEPLOY)
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["web"]


def test_strategic_merge_set_element_order():
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}],
                    "containers": [{"name": "web", "image": "nginx:3"}],
                }
            }
        }
    }
    out = apply_patch(STRATEGIC_MERGE_PATCH, _deployment(), patch, DEPLOY)
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["sidecar", "web"]
    assert "$setElementOrder/containers" not in out["spec"]["template"]["spec"]


def _names(obj):
    return [c["name"] for c in obj["spec"]["template"]["spec"]["containers"]]


@pytest.mark.parametrize(
    ("patched", "expected"),
    [
        # A container new to the list goes first: Kubernetes cannot place it among the
        # live ones (the conformance spec "ReplicaSet Replace and Patch" reads containers[0]).
        ([{"name": "new", "image": "pause"}], ["new", "web", "sidecar"]),
        # Named live items keep the patch's order; live-only ones interleave by live position.
        ([{"name": "sidecar", "image": "b2"}, {"name": "new", "image": "x"}], ["web", "sidecar", "new"]),
        ([{"name": "new", "image": "x"}, {"name": "sidecar", "image": "b2"}], ["new", "web", "sidecar"]),
    ],
)
def test_strategic_merge_orders_a_merged_list_as_kubernetes_does(patched, expected):
    patch = {"spec": {"template": {"spec": {"containers": patched}}}}
    assert _names(apply_patch(STRATEGIC_MERGE_PATCH, _deployment(), patch, DEPLOY)) == expected


def test_strategic_merge_of_a_primitive_set_puts_new_values_first():
    pod = {"metadata": {"name": "p", "finalizers": ["a", "b"]}}
    pods = default_catalog().get("", "v1", "pods")
    out = apply_patch(STRATEGIC_MERGE_PATCH, pod, {"metadata": {"finalizers": ["c", "b"]}}, pods)
    assert out["metadata"]["finalizers"] == ["c", "a", "b"]


def test_json_patch_failed_test_is_invalid():
    ops = [
        {"op": "test", "path": "/metadata/name", "value": "other"},
        {"op": "replace", "path": "/metadata/name", "value": "x"},
    ]
    with pytest.raises(errors.Invalid):
        apply_patch(JSON_PATCH, _deployment(), ops, DEPLOY)


def test_json_patch_applies_operations():
    ops = [{"op": "add", "path": "/metadata/labels/b", "value": "2"}]
    assert apply_patch(JSON_PATCH, _deployment(), ops, DEPLOY)["metadata"]["labels"] == {"a": "1", "b": "2"}


def test_a_resource_version_in_a_merge_patch_pins_the_update():
    assert pinned_resource_version(MERGE_PATCH, {"metadata": {"resourceVersion": "7"}}) == "7"
    assert pinned_resource_version(JSON_PATCH, [{"op": "test"}]) == ""
