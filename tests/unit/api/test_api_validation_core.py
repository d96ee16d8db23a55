"""Core kinds: Service, ConfigMap, Secret, Namespace, Node, Endpoints, storage, quotas, limits."""

# ruff: noqa: E501 -- expected messages are quoted whole, as users see them

import base64

from api_validation_builders import messages, meta


def service(**spec):
    spec.setdefault("ports", [{"port": 80}])
    spec.setdefault("selector", {"app": "web"})
    return {"metadata": meta("web"), "spec": spec}


def test_a_defaulted_service_is_valid():
    assert messages("", "Service", service()) == []


def test_ports_are_required_unless_headless_or_external_name():
    assert messages("", "Service", service(ports=[])) == ["spec.ports: Required value"]
    assert messages("", "Service", service(ports=[], clusterIP="None")) == []
    assert (
        messages("", "Service", service(ports=[], type="ExternalName", externalName="db.example.com")) == []
    )


def test_service_ports():
    msgs = messages(
        "",
        "Service",
        service(
            ports=[{"port": 0, "protocol": "HTTP"}, {"port": 80, "name": "web", "targetPort": "bad--name"}]
        ),
    )
    assert (
        msgs
        == [
            "spec.ports[0].name: Required value",
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
            "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",  # defaulted to port
            'spec.ports[1].targetPort: Invalid value: "bad--name": must not contain consecutive hyphens',
        ]
    )


def test_service_port_names_are_unique_and_ports_not_repeated():
    msgs = messages("", "Service", service(ports=[{"name": "a", "port": 80}, {"name": "a", "port": 80}]))
    assert msgs == [
        'spec.ports[1].name: Duplicate value: "a"',
        'spec.ports[1]: Duplicate value: {"port":80,"protocol":"TCP"}',
    ]


def test_service_type_values():
    assert messages("", "Service", service(type="Internal")) == [
        'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", '
        '"LoadBalancer", "NodePort"'
    ]


def test_node_ports_only_for_node_port_services():
    assert messages("", "Service", service(ports=[{"port": 80, "nodePort": 30080}])) == [
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ]
    assert messages("", "Service", service(type="NodePort", ports=[{"port": 80, "nodePort": 30080}])) == []


def test_external_name_is_required_for_external_name_services():
    assert messages("", "Service", service(type="ExternalName", ports=[])) == [
        "spec.externalName: Required value"
    ]


def test_selector_labels():
    msgs = messages("", "Service", service(selector={"app": "we b"}))
    assert msgs[0].startswith('spec.selector: Invalid value: "we b": a valid label must be')


def test_cluster_ip_may_not_change():
    old = service(clusterIP="10.96.0.10")
    assert messages("", "Service", service(clusterIP="10.96.0.10"), old) == []
    assert messages("", "Service", service(clusterIP="10.96.0.11"), old) == [
        'spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set'
    ]


def test_config_map_keys_and_size():
    cm = {"metadata": meta("c"), "data": {"good.key": "1", "bad/key": "2"}}
    assert messages("", "ConfigMap", cm) == [
        'data[bad/key]: Invalid value: "bad/key": a valid config key must consist of alphanumeric characters, '
        "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')"
    ]
    big = {"metadata": meta("c"), "data": {"a": "x" * (1024 * 1024 + 1)}}
    assert messages("", "ConfigMap", big) == [
        ": Too long: may not be more than 1048576 bytes"
    ]  # the whole object


def test_immutable_config_maps_keep_their_data():
    old = {"metadata": meta("c"), "data": {"a": "1"}, "immutable": True}
    new = {"metadata": meta("c"), "data": {"a": "2"}, "immutable": True}
    assert messages("", "ConfigMap", new, old) == [
        "data: Forbidden: field is immutable when `immutable` is set"
    ]


def test_secret_data_must_be_base64():
    secret = {"metadata": meta("s"), "data": {"ok": base64.b64encode(b"x").decode(), "bad": "%%%"}}
    assert messages("", "Secret", secret) == [
        'data[bad]: Invalid value: "<secret contents redacted>": illegal base64 data'
    ]


def test_typed_secrets_need_their_keys():
    secret = {"metadata": meta("s"), "type": "kubernetes.io/tls", "data": {}}
    assert messages("", "Secret", secret) == [
        "data[tls.crt]: Required value",
        "data[tls.key]: Required value",
    ]


def test_secret_type_is_immutable():
    old = {"metadata": meta("s"), "type": "Opaque"}
    new = {"metadata": meta("s"), "type": "kubernetes.io/basic-auth", "data": {"username": "YQ=="}}
    assert messages("", "Secret", new, old) == [
        'type: Invalid value: "kubernetes.io/basic-auth": field is immutable'
    ]


def test_namespace():
    assert messages("", "Namespace", {"metadata": {"name": "dev"}}) == []
    assert messages("", "Namespace", {"metadata": {"name": "dev"}, "spec": {"finalizers": ["custom"]}}) == [
        'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully '
        "qualified"
    ]


def test_node_taints_and_capacity():
    node = {
        "metadata": {"name": "n1"},
        "spec": {"taints": [{"key": "k", "effect": "Later"}]},
        "status": {"capacity": {"cpu": "-1"}},
    }
    assert messages("", "Node", node) == [
        'metadata.taints[0].effect: Unsupported value: "Later": supported values: "NoSchedule", '
        '"PreferNoSchedule", "NoExecute"',
        'status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0',
        'status.allocatable.cpu: Invalid value: "-1": must be greater than or equal to 0',
    ]


def test_node_pod_cidr_cannot_change():
    old = {"metadata": {"name": "n1"}, "spec": {"podCIDRs": ["10.244.0.0/24"]}}
    new = {"metadata": {"name": "n1"}, "spec": {"podCIDRs": ["10.244.1.0/24"]}}
    assert messages("", "Node", new, old) == [
        'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'
    ]


def test_endpoints():
    ep = {
        "metadata": meta("web"),
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 80}]}, {"ports": [{"port": 81}]}],
    }
    assert messages("", "Endpoints", ep) == [
        'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range '
        "(127.0.0.0/8, ::1/128)",
        "subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`",
    ]


def test_persistent_volume_claim():
    pvc = {"metadata": meta("data"), "spec": {}}
    assert messages("", "PersistentVolumeClaim", pvc) == [
        "spec.accessModes: Required value: at least 1 access mode is required",
        "spec.resources[storage]: Required value",
    ]
    pvc["spec"] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    assert messages("", "PersistentVolumeClaim", pvc) == []


def test_persistent_volume_claim_spec_is_mostly_immutable():
    old = {
        "metadata": meta("data"),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    grown = {
        "metadata": meta("data"),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}},
    }
    assert messages("", "PersistentVolumeClaim", grown, old) == []
    changed = {
        "metadata": meta("data"),
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    assert messages("", "PersistentVolumeClaim", changed, old) == [
        "spec: Forbidden: spec is immutable after creation except resources.requests and "
        "volumeAttributesClassName for bound claims"
    ]


def test_persistent_volume():
    pv = {
        "metadata": {"name": "pv1"},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "hostPath": {"path": "/data"},
        },
    }
    assert messages("", "PersistentVolume", pv) == []
    pv["spec"]["persistentVolumeReclaimPolicy"] = "Keep"
    assert messages("", "PersistentVolume", pv) == [
        'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", '
        '"Retain"'
    ]


def test_resource_quota():
    rq = {"metadata": meta("q"), "spec": {"hard": {"pods": "1.5", "cpu": "x"}}}
    assert messages("", "ResourceQuota", rq) == [
        "spec.hard[pods]: Invalid value: 1500m: must be an integer",
        'spec.hard[cpu]: Invalid value: "x": quantities must match the regular expression '
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ]


def test_limit_range_ordering():
    lr = {
        "metadata": meta("l"),
        "spec": {"limits": [{"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}}]},
    }
    msgs = messages("", "LimitRange", lr)
    assert "spec.limits[0].min[cpu]: Invalid value: 2: min value 2 is greater than max value 1" in msgs


def test_binding_needs_a_target():
    assert messages("", "Binding", {"metadata": meta("p"), "target": {"kind": "Node"}}) == [
        "target.name: Required value"
    ]


def test_limit_range_orders_every_pair_of_its_quantities():
    limits = {
        "type": "Container",
        "min": {"memory": "4"},
        "max": {"memory": "1"},
        "default": {"memory": "2"},
        "defaultRequest": {"memory": "3"},
        "maxLimitRequestRatio": {"memory": "500m"},
    }
    msgs = messages("", "LimitRange", {"metadata": meta("l"), "spec": {"limits": [limits]}})
    p = "spec.limits[0]"
    assert msgs == [
        f"{p}.min[memory]: Invalid value: 4: min value 4 is greater than max value 1",
        f"{p}.defaultRequest[memory]: Invalid value: 3: min value 4 is greater than default request value 3",
        f"{p}.defaultRequest[memory]: Invalid value: 3: default request value 3 is greater than max value 1",
        f"{p}.defaultRequest[memory]: Invalid value: 3: default request value 3 is greater than default limit value 2",
        f"{p}.default[memory]: Invalid value: 4: min value 4 is greater than default value 2",
        f"{p}.default[memory]: Invalid value: 1: default value 2 is greater than max value 1",
        f"{p}.maxLimitRequestRatio[memory]: Invalid value: 500m: ratio 500m is less than 1",
    ]
