"""Object metadata is validated the same way for every kind, with Kubernetes' messages."""

# ruff: noqa: E501 -- expected messages are quoted whole, as users see them

from api_validation_builders import messages, meta


def test_name_is_required_unless_generate_name_is_given():
    assert messages("", "ConfigMap", {"metadata": {"namespace": "default"}}) == [
        "metadata.name: Required value: name or generateName is required"
    ]
    assert messages("", "ConfigMap", {"metadata": {"namespace": "default", "generateName": "cm-"}}) == []


def test_generate_name_must_be_a_valid_prefix():
    msgs = messages("", "ConfigMap", {"metadata": {"namespace": "default", "generateName": "Bad_"}})
    assert msgs[0].startswith('metadata.generateName: Invalid value: "Bad_": a lowercase RFC 1123 subdomain')


def test_most_names_are_dns_subdomains():
    msgs = messages("", "ConfigMap", {"metadata": meta("My_Config")})
    assert msgs == [
        'metadata.name: Invalid value: "My_Config": a lowercase RFC 1123 subdomain must consist of lower case '
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ]
    assert messages("", "ConfigMap", {"metadata": meta("a.b-c")}) == []


def test_namespace_names_are_dns_labels():
    msgs = messages("", "Namespace", {"metadata": {"name": "a.b"}})
    assert msgs == ['metadata.name: Invalid value: "a.b": must not contain dots']


def test_service_names_are_dns1035_labels():
    msgs = messages("", "Service", {"metadata": meta("1web"), "spec": {"ports": [{"port": 80}]}})
    assert msgs[0].startswith('metadata.name: Invalid value: "1web": a DNS-1035 label must consist of')


def test_rbac_names_are_path_segments():
    assert messages("rbac.authorization.k8s.io", "ClusterRole", {"metadata": {"name": "system:viewer"}}) == []
    assert messages("rbac.authorization.k8s.io", "ClusterRole", {"metadata": {"name": "a/b"}}) == [
        "metadata.name: Invalid value: \"a/b\": may not contain '/'"
    ]


def test_namespace_required_or_forbidden_by_scope():
    assert messages("", "ConfigMap", {"metadata": {"name": "c"}}) == ["metadata.namespace: Required value"]
    assert messages("", "Namespace", {"metadata": {"name": "n", "namespace": "default"}}) == [
        "metadata.namespace: Forbidden: not allowed on this type"
    ]


def test_label_keys_and_values():
    msgs = messages("", "ConfigMap", {"metadata": meta(labels={"a/b/c": "x", "ok": "bad value!"})})
    assert msgs[0].startswith(
        'metadata.labels: Invalid value: "a/b/c": a qualified name must consist of'
    )  # 1.32's wording
    assert msgs[1].startswith(
        'metadata.labels: Invalid value: "bad value!": a valid label must be an empty '
        "string or consist of alphanumeric characters"
    )
    msgs = messages("", "ConfigMap", {"metadata": meta(labels={"k": "v" * 64})})
    assert msgs[0] == f'metadata.labels: Invalid value: "{"v" * 64}": must be no more than 63 characters'


def test_label_key_prefix_must_be_a_subdomain():
    msgs = messages("", "ConfigMap", {"metadata": meta(labels={"Example.com/x": "v"})})
    assert msgs[0].startswith(
        'metadata.labels: Invalid value: "Example.com/x": prefix part a lowercase RFC 1123 subdomain'
    )


def test_annotations_total_size_is_limited():
    big = {"a": "x" * (256 * 1024)}
    assert messages("", "ConfigMap", {"metadata": meta(annotations=big)}) == [
        "metadata.annotations: Too long: may not be more than 262144 bytes"
    ]


def test_annotation_keys_are_qualified_names_ignoring_case():
    assert messages("", "ConfigMap", {"metadata": meta(annotations={"Example.COM/Key": "v"})}) == []
    msgs = messages("", "ConfigMap", {"metadata": meta(annotations={"bad key": "v"})})
    assert msgs[0].startswith('metadata.annotations: Invalid value: "bad key": name part must consist of')


def test_owner_references_need_identity():
    refs = [{"apiVersion": "", "kind": "", "name": "", "uid": ""}]
    assert messages("", "ConfigMap", {"metadata": meta(ownerReferences=refs)}) == [
        'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
        'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
        'metadata.ownerReferences.name: Invalid value: "": must not be empty',
        'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
    ]


def test_only_one_controller_owner():
    refs = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": n, "uid": n, "controller": True}
        for n in ("a", "b")
    ]
    msgs = messages("", "ConfigMap", {"metadata": meta(ownerReferences=refs)})
    assert len(msgs) == 1 and msgs[0].endswith(
        'Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and '
        "ReplicaSet/b"
    )


def test_finalizers():
    assert messages("", "ConfigMap", {"metadata": meta(finalizers=["example.com/cleanup", "orphan"])}) == []
    assert messages("", "ConfigMap", {"metadata": meta(finalizers=["cleanup"])}) == [
        'metadata.finalizers[0]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it '
        "fully qualified"
    ]
    msgs = messages("", "ConfigMap", {"metadata": meta(finalizers=["orphan", "foregroundDeletion"])})
    assert msgs == [
        'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and '
        "foregroundDeletion cannot be both set"
    ]


def test_custom_resources_get_plain_qualified_finalizers():
    from kubelite.api.resources import ResourceType
    from kubelite.api.validation import validate

    rt = ResourceType("example.com", "v1", "widgets", "widget", "Widget", True)
    obj = {"metadata": meta("w", finalizers=["cleanup"]), "spec": {"anything": 1}}
    assert validate(rt, obj) == []


def test_update_may_not_change_identity():
    old = {"metadata": meta("c", uid="1", creationTimestamp="2024-01-01T00:00:00Z")}
    new = {"metadata": meta("c", uid="2", creationTimestamp="2024-01-01T00:00:00Z")}
    assert messages("", "ConfigMap", new, old) == ['metadata.uid: Invalid value: "2": field is immutable']
    new = {"metadata": meta("c")}  # fields the client omitted are the server's to fill
    assert messages("", "ConfigMap", new, old) == []


def test_no_new_finalizers_while_deleting():
    old = {"metadata": meta("c", deletionTimestamp="2024-01-01T00:00:00Z", finalizers=["a.io/x"])}
    new = {"metadata": meta("c", deletionTimestamp="2024-01-01T00:00:00Z", finalizers=["a.io/x", "a.io/y"])}
    assert messages("", "ConfigMap", new, old) == [
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, "
        'found new finalizers []string{"a.io/y"}'
    ]


def test_wrong_json_types_become_errors_not_crashes():
    msgs = messages("", "ConfigMap", {"metadata": meta(labels="app=web")})
    assert msgs == [
        'metadata.labels: Invalid value: "app=web": must be a map of string keys to string values'
    ]
    assert messages("", "Pod", {"metadata": meta("p"), "spec": "nope"})
