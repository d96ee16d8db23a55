"""Server-side apply and managedFields, without a server: merge, ownership, conflicts."""

from __future__ import annotations

import pytest

from kubelite.api import errors, fieldpath
from kubelite.api.resources import default_catalog
from kubelite.apiserver import apply, managedfields

CM = default_catalog().get("", "v1", "configmaps")
DEPLOY = default_catalog().get("apps", "v1", "deployments")


def deployment(env):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x", "env": env}]}}},
    }


def test_fields_v1_round_trips_and_marks_members_with_children():
    paths = {("f:metadata", "f:labels"), ("f:metadata", "f:labels", "f:app"), ("f:data", "f:a")}
    tree = fieldpath.to_fields_v1(paths)
    assert tree == {"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {".": {}, "f:app": {}}}}
    assert fieldpath.from_fields_v1(tree) == paths


def test_paths_print_as_kubernetes_prints_them_in_conflicts():
    path = ("f:spec", "f:containers", 'k:{"name":"c"}', "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}')
    assert fieldpath.path_string(path) == '.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"]'


def test_apply_merges_list_items_by_key_and_keeps_other_managers_items():
    live = apply.apply(DEPLOY, None, deployment([{"name": "A", "value": "1"}]), manager="a", force=False)
    live = apply.apply(DEPLOY, live, deployment([{"name": "B", "value": "2"}]), manager="b", force=False)
    env = live["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    live = apply.apply(DEPLOY, live, deployment([]), manager="a", force=False)
    assert live["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "B", "value": "2"}]


def test_conflicting_apply_fails_unless_forced_and_force_takes_ownership():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "1"}}
    live = apply.apply(CM, None, cm, manager="a", force=False)
    same = apply.apply(CM, live, cm, manager="b", force=False)  # same value: shared, no conflict
    assert {e.manager for e in managedfields.decode(same)} == {"a", "b"}
    changed = {**cm, "data": {"k": "2"}}
    with pytest.raises(errors.Conflict) as err:
        apply.apply(CM, live, changed, manager="b", force=False)
    assert err.value.message == 'Apply failed with 1 conflict: conflict with "a": .data.k'
    forced = apply.apply(CM, live, changed, manager="b", force=True)
    assert forced["data"] == {"k": "2"}
    assert [e.manager for e in managedfields.decode(forced)] == ["b"]


def test_updates_move_changed_fields_to_the_writer():
    old = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "1"}}
    managedfields.record_update(CM, old, None, "creator")
    new = {**old, "metadata": dict(old["metadata"]), "data": {"k": "2", "n": "3"}}
    managedfields.record_update(CM, new, old, "editor")
    entries = {e.manager: e.fields for e in managedfields.decode(new)}
    assert entries == {"creator": {("f:data",)}, "editor": {("f:data", "f:k"), ("f:data", "f:n")}}
