"""Label and field selectors behave, and fail, as Kubernetes 1.32's do."""

from __future__ import annotations

import pytest

from kubelite.api.errors import BadRequest
from kubelite.api.resources import default_catalog
from kubelite.api.selectors import (
    FieldRequirement,
    LabelSelector,
    Requirement,
    format_label_selector,
    object_fields,
    parse_field_selector,
    parse_label_selector,
    selector_from_label_selector_object,
    selector_from_set,
    supported_fields,
    validate_field_selector,
)

CATALOG = default_catalog()
PODS = CATALOG.get("", "v1", "pods")
NODES = CATALOG.get("", "v1", "nodes")
EVENTS = CATALOG.get("", "v1", "events")
EVENTS_V1 = CATALOG.get("events.k8s.io", "v1", "events")
CONFIGMAPS = CATALOG.get("", "v1", "configmaps")
JOBS = CATALOG.get("batch", "v1", "jobs")


def bad_request(fn, *args) -> str:
    with pytest.raises(BadRequest) as info:
        fn(*args)
    return info.value.message


# ---- label selector grammar --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("app=nginx", "app=nginx"),
        ("app==nginx", "app==nginx"),
        ("tier!=frontend", "tier!=frontend"),
        ("env in (prod, staging)", "env in (prod,staging)"),
        ("env notin (dev)", "env notin (dev)"),
        ("canary", "canary"),
        ("!canary", "!canary"),
        (" app = web ,  !canary ", "app=web,!canary"),
        ("app.kubernetes.io/name=nginx", "app.kubernetes.io/name=nginx"),
        ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
        ("k in (in)", "k in (in)"),
        ("replicas>2", "replicas>2"),
        ("replicas<2", "replicas<2"),
        ("empty=", "empty="),
        ("", ""),
    ],
)
def test_label_selector_strings_parse_to_their_canonical_form(text, canonical):
    assert str(parse_label_selector(text)) == canonical


def test_requirements_are_sorted_by_key():
    sel = parse_label_selector("tier=web,app=nginx")
    assert [r.key for r in sel.requirements] == ["app", "tier"]


def test_an_empty_selector_matches_everything_and_says_so():
    sel = parse_label_selector("")
    assert sel.empty
    assert sel.matches({}) and sel.matches(None) and sel.matches({"a": "b"})


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("app=web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("app=web", {}, False),
        ("app=web", None, False),
        ("app=web,tier=be", {"app": "web", "tier": "be"}, True),
        ("app=web,tier=be", {"app": "web"}, False),
        ("app!=web", {"app": "db"}, True),
        ("app!=web", {}, True),  # a missing key satisfies !=
        ("app!=web", {"app": "web"}, False),
        ("env in (a,b)", {"env": "b"}, True),
        ("env in (a,b)", {}, False),
        ("env notin (a,b)", {}, True),  # ... and notin
        ("env notin (a,b)", {"env": "a"}, False),
        ("canary", {"canary": ""}, True),
        ("canary", {}, False),
        ("!canary", {}, True),
        ("!canary", {"canary": "yes"}, False),
        ("empty=", {"empty": ""}, True),
        ("empty=", {}, False),
        ("n>2", {"n": "3"}, True),
        ("n>2", {"n": "2"}, False),
        ("n>2", {"n": "x"}, False),
        ("n<2", {"n": "-5"}, True),
        ("n<2", {}, False),
        ("app=web,!canary,env in (prod)", {"app": "web", "env": "prod"}, True),
        ("app=web,!canary,env in (prod)", {"app": "web", "env": "prod", "canary": "1"}, False),
    ],
)
def test_label_selectors_match_as_kubernetes_does(text, labels, expected):
    assert parse_label_selector(text).matches(labels) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,", "found '', expected: identifier after ','"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("x in a", "unable to parse requirement: found 'a' expected: '('"),
        ("x in (a", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"),
        ("a=(b)", "unable to parse requirement: found '(', expected: identifier"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        (
            "a>b",
            "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, "
            "the value must be an integer",
        ),
        (
            "a=b@c",
            'unable to parse requirement: values[0][a]: Invalid value: "b@c": a valid label must be '
            "an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and "
            "end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex "
            "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
        (
            "a/b/c=d",
            'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name must '
            "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
            "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
            "subdomain prefix and '/' (e.g. 'example.com/MyName')",
        ),
        (
            "Bad.Prefix/x=y",
            'unable to parse requirement: <nil>: Invalid value: "Bad.Prefix/x": prefix part '
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character (e.g. "
            "'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ),
        (
            "-app=x",
            'unable to parse requirement: <nil>: Invalid value: "-app": name part must consist of '
            "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ),
    ],
)
def test_bad_label_selectors_fail_with_kubernetes_messages(text, message):
    assert bad_request(parse_label_selector, text) == message


def test_label_values_longer_than_63_characters_are_rejected():
    message = bad_request(parse_label_selector, "a=" + "v" * 64)
    assert message.startswith('unable to parse requirement: values[0][a]: Invalid value: "vvvv')
    assert message.endswith(": must be no more than 63 characters")


def test_exact_value_names_what_an_equality_requires():
    sel = parse_label_selector("app=web,tier in (be),env!=prod")
    assert sel.exact_value("app") == "web"
    assert sel.exact_value("tier") == "be"
    assert sel.exact_value("env") is None


# ---- metav1.LabelSelector objects ----------------------------------------------------------------


def test_a_label_selector_object_becomes_the_same_matcher():
    sel = selector_from_label_selector_object(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["be", "fe"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "env", "operator": "NotIn", "values": ["dev"]},
                {"key": "team", "operator": "Exists"},
            ],
        }
    )
    assert sel.matches({"app": "web", "tier": "fe", "team": "a"})
    assert not sel.matches({"app": "web", "tier": "fe", "team": "a", "canary": "1"})
    assert not sel.matches({"app": "web", "tier": "fe", "team": "a", "env": "dev"})
    assert not sel.matches({"app": "web", "tier": "fe"})


def test_a_missing_selector_matches_nothing_and_an_empty_one_everything():
    nothing, everything = selector_from_label_selector_object(None), selector_from_label_selector_object({})
    assert not nothing.matches({}) and not nothing.matches({"a": "b"}) and not nothing.empty
    assert everything.matches({}) and everything.empty
    assert nothing != everything


def test_format_label_selector_sorts_keys_and_values():
    obj = {
        "matchLabels": {"tier": "be", "app": "nginx"},
        "matchExpressions": [
            {"key": "zone", "operator": "NotIn", "values": ["b", "a"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    }
    assert format_label_selector(obj) == "app=nginx,!canary,tier=be,zone notin (a,b)"
    assert format_label_selector({}) == ""
    assert format_label_selector(None) == ""
    in_ab = {"matchExpressions": [{"key": "t", "operator": "In", "values": ["a", "b"]}]}
    assert format_label_selector(in_ab) == "t in (a,b)"


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (
            {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
            '"Gt" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In"}]},
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
            'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
        ),
        (
            {"matchLabels": {"a/": "x"}},
            'key: Invalid value: "a/": name part must be non-empty; name part must consist of alphanumeric '
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
            "(e.g. 'MyName',  or 'my.name',  or '123-abc', "
            "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ),
    ],
)
def test_invalid_selector_objects_fail_with_kubernetes_messages(obj, message):
    assert bad_request(selector_from_label_selector_object, obj) == message


def test_selector_from_set_is_an_and_of_equalities():
    sel = selector_from_set({"b": "2", "a": "1"})
    assert str(sel) == "a=1,b=2"
    assert sel.matches({"a": "1", "b": "2", "c": "3"}) and not sel.matches({"a": "1"})
    assert selector_from_set({}).empty


def test_selectors_compare_by_their_requirements():
    assert parse_label_selector("b=2,a=1") == LabelSelector(
        [Requirement("a", "=", ("1",)), Requirement("b", "=", ("2",))]
    )


# ---- field selectors ------------------------------------------------------------------------------


def test_field_selectors_parse_equalities_and_inequalities():
    sel = parse_field_selector("spec.nodeName=node-1,status.phase!=Succeeded,metadata.name==web")
    assert sel.requirements == (
        FieldRequirement("metadata.name", "=", "web"),
        FieldRequirement("spec.nodeName", "=", "node-1"),
        FieldRequirement("status.phase", "!=", "Succeeded"),
    )
    assert sel.exact_value("metadata.name") == "web"
    assert sel.exact_value("status.phase") is None


def test_field_selector_values_may_escape_commas_equals_and_backslashes():
    sel = parse_field_selector(r"metadata.name=a\,b\=c\\d")
    assert sel.requirements == (FieldRequirement("metadata.name", "=", r"a,b=c\d"),)
    assert str(sel) == r"metadata.name=a\,b\=c\\d"


def test_an_empty_value_selects_unset_fields():
    sel = parse_field_selector("spec.nodeName=")
    assert sel.matches({"spec.nodeName": ""}) and sel.matches({})
    assert not sel.matches({"spec.nodeName": "n1"})


def test_an_empty_field_selector_matches_everything():
    sel = parse_field_selector("")
    assert sel.empty and sel.requirements == () and sel.matches({"a": "b"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo", "invalid selector: 'foo'; can't understand 'foo'"),
        ("a=1,bar", "invalid selector: 'a=1,bar'; can't understand 'bar'"),
        ("metadata.name=a=b", "invalid field selector: unescaped character in value: 61"),
        (r"metadata.name=a\x", r"invalid field selector: invalid escape sequence: \x"),
        ("metadata.name=a\\", "invalid field selector: invalid escape sequence: \\"),
    ],
)
def test_malformed_field_selectors_fail_with_kubernetes_messages(text, message):
    assert bad_request(parse_field_selector, text) == message


@pytest.mark.parametrize(
    ("rt", "text", "message"),
    [
        (PODS, "spec.foo=1", "field label not supported: spec.foo"),
        (NODES, "metadata.namespace=x", "field label not supported: metadata.namespace"),
        (EVENTS, "message=x", "field label not supported: message"),
        (EVENTS_V1, "involvedObject.name=x", "field label not supported: involvedObject.name"),
        (JOBS, "spec.parallelism=1", 'field label "spec.parallelism" not supported for Job'),
        (
            CONFIGMAPS,
            "data.key=1",
            '"data.key" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
    ],
)
def test_unsupported_fields_are_rejected_in_each_resources_own_words(rt, text, message):
    assert bad_request(parse_field_selector, text, rt) == message


def test_supported_fields_come_from_the_catalogue():
    assert {"spec.nodeName", "status.phase", "metadata.name", "metadata.namespace"} <= supported_fields(PODS)
    assert supported_fields(NODES) == {"metadata.name", "spec.unschedulable"}
    assert supported_fields(CONFIGMAPS) == {"metadata.name", "metadata.namespace"}


def test_the_legacy_spec_host_field_selects_pods_by_node():
    sel = validate_field_selector(PODS, parse_field_selector("spec.host=node-1"))
    assert sel.requirements == (FieldRequirement("spec.nodeName", "=", "node-1"),)


# ---- the fields each resource exposes --------------------------------------------------------------


def test_pod_fields_read_defaults_for_unset_values():
    pod = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"nodeName": "n1", "serviceAccountName": "sa", "hostNetwork": True},
        "status": {
            "phase": "Running",
            "podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}],
            "podIP": "10.0.0.1",
        },
    }
    assert object_fields(PODS, pod) == {
        "metadata.name": "web",
        "metadata.namespace": "default",
        "spec.nodeName": "n1",
        "spec.restartPolicy": "Always",
        "spec.schedulerName": "default-scheduler",
        "spec.serviceAccountName": "sa",
        "spec.hostNetwork": "true",
        "status.phase": "Running",
        "status.podIP": "10.0.0.1",
        "status.nominatedNodeName": "",
    }
    assert object_fields(PODS, {})["spec.hostNetwork"] == "false"


def test_kubectl_drain_and_describe_node_selectors_match_pods():
    sel = parse_field_selector("spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed", PODS)
    pod = {"metadata": {"name": "a"}, "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}}
    done = {"metadata": {"name": "b"}, "spec": {"nodeName": "n1"}, "status": {"phase": "Succeeded"}}
    assert sel.matches(object_fields(PODS, pod))
    assert not sel.matches(object_fields(PODS, done))


def test_the_scheduler_selects_unscheduled_pods_by_empty_node_name():
    sel = parse_field_selector("spec.nodeName=", PODS)
    assert sel.matches(object_fields(PODS, {"spec": {}}))
    assert not sel.matches(object_fields(PODS, {"spec": {"nodeName": "n1"}}))


def test_core_event_fields_include_the_involved_object_and_source():
    event = {
        "metadata": {"name": "e1", "namespace": "default"},
        "involvedObject": {
            "kind": "Pod",
            "name": "web",
            "namespace": "default",
            "uid": "u1",
            "apiVersion": "v1",
            "fieldPath": "spec.containers{web}",
        },
        "reason": "Pulled",
        "type": "Normal",
        "source": {"component": "kubelet", "host": "n1"},
        "reportingComponent": "kubelet",
    }
    fields = object_fields(EVENTS, event)
    assert fields["involvedObject.uid"] == "u1"
    assert fields["involvedObject.fieldPath"] == "spec.containers{web}"
    assert fields["source"] == "kubelet"
    assert fields["reportingComponent"] == "kubelet"
    assert fields["involvedObject.resourceVersion"] == ""
    sel = parse_field_selector(
        "involvedObject.name=web,involvedObject.namespace=default,involvedObject.uid=u1", EVENTS
    )
    assert sel.matches(fields)


def test_event_source_falls_back_to_the_reporting_controller():
    fields = object_fields(EVENTS, {"reportingComponent": "default-scheduler"})
    assert fields["source"] == "default-scheduler"


def test_events_v1_fields_use_the_new_names_for_either_stored_shape():
    stored = {
        "metadata": {"name": "e"},
        "involvedObject": {"kind": "Node", "name": "n1"},
        "reportingComponent": "kubelet",
        "type": "Warning",
    }
    fields = object_fields(EVENTS_V1, stored)
    assert fields["regarding.kind"] == "Node" and fields["regarding.name"] == "n1"
    assert fields["reportingController"] == "kubelet" and fields["type"] == "Warning"
    new_shape = {"metadata": {"name": "e"}, "regarding": {"kind": "Pod"}, "reportingController": "x"}
    assert object_fields(EVENTS_V1, new_shape)["regarding.kind"] == "Pod"


@pytest.mark.parametrize(
    ("group", "plural", "obj", "field", "value"),
    [
        ("", "nodes", {"spec": {"unschedulable": True}}, "spec.unschedulable", "true"),
        ("", "nodes", {}, "spec.unschedulable", "false"),
        ("", "namespaces", {"status": {"phase": "Terminating"}}, "status.phase", "Terminating"),
        ("", "namespaces", {}, "status.phase", "Active"),
        ("", "secrets", {"type": "kubernetes.io/tls"}, "type", "kubernetes.io/tls"),
        ("", "secrets", {}, "type", "Opaque"),
        ("", "replicationcontrollers", {"status": {"replicas": 3}}, "status.replicas", "3"),
        ("", "replicationcontrollers", {}, "status.replicas", "0"),
        ("batch", "jobs", {"status": {"succeeded": 2}}, "status.successful", "2"),
        ("discovery.k8s.io", "endpointslices", {"addressType": "IPv4"}, "addressType", "IPv4"),
    ],
)
def test_resource_specific_fields_are_strings(group, plural, obj, field, value):
    rt = next(t for t in CATALOG if t.group == group and t.plural == plural)
    assert object_fields(rt, obj)[field] == value


def test_cluster_scoped_resources_have_no_namespace_field():
    fields = object_fields(NODES, {"metadata": {"name": "n1"}})
    assert fields["metadata.name"] == "n1" and "metadata.namespace" not in fields


def test_custom_resources_expose_their_selectable_fields_by_path():
    from kubelite.api.resources import ResourceType

    crd = ResourceType(
        "example.com",
        "v1",
        "widgets",
        "widget",
        "Widget",
        True,
        field_selectors=("spec.color", "spec.size", "spec.enabled"),
    )
    obj = {
        "metadata": {"name": "w", "namespace": "ns"},
        "spec": {"color": "red", "size": 3, "enabled": False},
    }
    assert object_fields(crd, obj) == {
        "metadata.name": "w",
        "metadata.namespace": "ns",
        "spec.color": "red",
        "spec.size": "3",
        "spec.enabled": "false",
    }
    assert (
        bad_request(parse_field_selector, "spec.shape=round", crd) == "field label not supported: spec.shape"
    )
    cluster_crd = ResourceType("example.com", "v1", "gadgets", "gadget", "Gadget", False)
    assert (
        bad_request(parse_field_selector, "metadata.namespace=x", cluster_crd)
        == "field label not supported: metadata.namespace"
    )
