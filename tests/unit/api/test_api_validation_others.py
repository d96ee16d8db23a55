"""Leases, EndpointSlices, Events, Ingress, NetworkPolicy, PDB, PriorityClass and RBAC."""

# ruff: noqa: E501 -- expected messages are quoted whole, as users see them

from api_validation_builders import messages, meta

RBAC = "rbac.authorization.k8s.io"


def test_lease():
    assert (
        messages("coordination.k8s.io", "Lease", {"metadata": meta("l"), "spec": {"holderIdentity": "a"}})
        == []
    )
    assert messages(
        "coordination.k8s.io", "Lease", {"metadata": meta("l"), "spec": {"leaseDurationSeconds": 0}}
    ) == ["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"]


def test_endpoint_slice():
    eps = {
        "metadata": meta("web-abc"),
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": []}, {"addresses": ["fe80::1"]}],
        "ports": [{"port": 80, "protocol": "TCP"}],
    }
    assert messages("discovery.k8s.io", "EndpointSlice", eps) == [
        "endpoints[1].addresses: Required value: must contain at least 1 address",
        'endpoints[2].addresses[0]: Invalid value: "fe80::1": must be a valid IPv4 address',
    ]
    eps = {"metadata": meta("x"), "addressType": "IPv5"}
    assert messages("discovery.k8s.io", "EndpointSlice", eps) == [
        'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"'
    ]


def test_core_events_are_lenient_but_must_agree_on_namespace():
    ev = {
        "metadata": meta("Pod:Web.17b"),
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reason": "Started",
    }
    assert messages("", "Event", ev) == []
    ev["involvedObject"]["namespace"] = "other"
    assert messages("", "Event", ev) == [
        'involvedObject.namespace: Invalid value: "other": does not match event.namespace'
    ]


def test_new_style_events_need_reporting_fields():
    ev = {
        "metadata": meta("e"),
        "eventTime": "2024-01-01T00:00:00.000000Z",
        "type": "Normal",
        "regarding": {"namespace": "default"},
        "reason": "Started",
    }
    assert messages("events.k8s.io", "Event", ev) == [
        "reportingController: Required value",
        'reportingController: Invalid value: "": name part must be non-empty',
        "reportingController: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
        "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        "reportingInstance: Required value",
        "action: Required value",
    ]


def ingress(**spec):
    return {"metadata": meta("web"), "spec": spec}


def backend(port=80):
    return {"service": {"name": "web", "port": {"number": port}}}


def test_ingress_paths():
    rules = [
        {
            "host": "example.com",
            "http": {
                "paths": [
                    {"path": "/", "pathType": "Prefix", "backend": backend()},
                    {"path": "/api", "backend": backend()},
                    {"path": "api", "pathType": "Exact", "backend": backend()},
                    {"path": "/x", "pathType": "Regex", "backend": backend(0)},
                ]
            },
        }
    ]
    assert messages("networking.k8s.io", "Ingress", ingress(rules=rules)) == [
        "spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified",
        'spec.rules[0].http.paths[2].path: Invalid value: "api": must be an absolute path',
        'spec.rules[0].http.paths[3].pathType: Unsupported value: "Regex": supported values: "Exact", '
        '"ImplementationSpecific", "Prefix"',
        "spec.rules[0].http.paths[3].backend.service.port: Required value: port name or number is required",
    ]


def test_ingress_needs_rules_or_a_default_backend():
    assert messages("networking.k8s.io", "Ingress", ingress()) == [
        "spec: Invalid value: []: either `defaultBackend` or `rules` must be specified"
    ]
    assert messages("networking.k8s.io", "Ingress", ingress(defaultBackend=backend())) == []


def test_ingress_hosts():
    rules = [{"host": "10.0.0.1"}, {"host": "*.example.com"}, {"host": "a.*.com"}]
    msgs = messages("networking.k8s.io", "Ingress", ingress(rules=rules))
    assert msgs[0] == 'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address'
    assert msgs[1].startswith('spec.rules[2].host: Invalid value: "a.*.com": a wildcard DNS-1123 subdomain')


def test_network_policy():
    np = {
        "metadata": meta("deny"),
        "spec": {
            "podSelector": {},
            "ingress": [{"from": [{}], "ports": [{"protocol": "ICMP", "port": 80}]}],
            "policyTypes": ["Ingress", "Sideways"],
        },
    }
    assert messages("networking.k8s.io", "NetworkPolicy", np) == [
        'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        "spec.ingress[0].from[0]: Required value: must specify a peer",
        'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
    ]


def test_pod_disruption_budget():
    pdb = {
        "metadata": meta("pdb"),
        "spec": {"minAvailable": 1, "maxUnavailable": "150%", "selector": {"matchLabels": {"app": "web"}}},
    }
    msgs = messages("policy", "PodDisruptionBudget", pdb)
    assert msgs[0].startswith("spec: Invalid value: ")
    assert msgs[0].endswith("minAvailable and maxUnavailable cannot be both set")
    assert msgs[1:] == ["spec.maxUnavailable: Invalid value: 150%: must not be greater than 100%"]


def test_priority_class():
    pc = {"metadata": {"name": "high"}, "value": 2_000_000_000}
    assert messages("scheduling.k8s.io", "PriorityClass", pc) == [
        "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"
    ]
    system = {"metadata": {"name": "system-custom"}, "value": 1}
    assert messages("scheduling.k8s.io", "PriorityClass", system) == [
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. "
        "error: system-custom is not a known system priority class"
    ]
    old = {"metadata": {"name": "high"}, "value": 1000}
    assert messages(
        "scheduling.k8s.io", "PriorityClass", {"metadata": {"name": "high"}, "value": 10}, old
    ) == ["value: Forbidden: may not be changed in an update."]


def test_role_rules_need_verbs_and_resources():
    role = {
        "metadata": meta("r"),
        "rules": [
            {"apiGroups": [""], "resources": ["pods"]},
            {"verbs": ["get"]},
            {"verbs": ["get"], "nonResourceURLs": ["/healthz"]},
        ],
    }
    assert messages(RBAC, "Role", role) == [
        "rules[0].verbs: Required value: verbs must contain at least one value",
        "rules[1].apiGroups: Required value: resource rules must supply at least one api group",
        "rules[1].resources: Required value: resource rules must supply at least one resource",
        'rules[2].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs',
    ]
    cluster_role = {
        "metadata": {"name": "health"},
        "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
    }
    assert messages(RBAC, "ClusterRole", cluster_role) == []


def test_bindings():
    rb = {
        "metadata": meta("b"),
        "roleRef": {"kind": "Role", "name": "r"},
        "subjects": [{"kind": "ServiceAccount", "name": "default"}, {"kind": "Robot", "name": "x"}],
    }
    assert messages(RBAC, "RoleBinding", rb) == [
        'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"'
    ]
    crb = {
        "metadata": {"name": "b"},
        "roleRef": {"kind": "Role", "name": "r"},
        "subjects": [{"kind": "ServiceAccount", "name": "default"}],
    }
    assert messages(RBAC, "ClusterRoleBinding", crb) == [
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
        "subjects[0].namespace: Required value",
    ]


def test_role_ref_cannot_change():
    old = {"metadata": meta("b"), "roleRef": {"kind": "Role", "name": "a"}}
    new = {"metadata": meta("b"), "roleRef": {"kind": "Role", "name": "b"}}
    msgs = messages(RBAC, "RoleBinding", new, old)
    assert msgs == [
        'roleRef: Invalid value: {"kind":"Role","name":"b","apiGroup":"rbac.authorization.k8s.io"}: '
        "cannot change roleRef"
    ]
