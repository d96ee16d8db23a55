"""Pod specs and pod updates are validated with Kubernetes' paths and messages."""

# ruff: noqa: E501 -- expected messages are quoted whole, as users see them

from api_validation_builders import container, messages, pod


def pod_messages(**spec):
    return messages("", "Pod", pod(**spec))


def test_a_minimal_pod_is_valid():
    assert pod_messages() == []


def test_containers_are_required():
    assert pod_messages(containers=[]) == ["spec.containers: Required value"]


def test_container_image_and_name():
    assert pod_messages(containers=[{"name": "app"}]) == ["spec.containers[0].image: Required value"]
    assert pod_messages(containers=[{"image": "x"}]) == ["spec.containers[0].name: Required value"]
    msgs = pod_messages(containers=[container(name="App")])
    assert msgs[0].startswith(
        'spec.containers[0].name: Invalid value: "App": a lowercase RFC 1123 label must'
    )


def test_container_names_are_unique_across_init_containers():
    msgs = pod_messages(containers=[container(), container()], initContainers=[container()])
    assert msgs == [
        'spec.containers[1].name: Duplicate value: "app"',
        'spec.initContainers[0].name: Duplicate value: "app"',
    ]


def test_ports():
    msgs = pod_messages(
        containers=[
            container(
                ports=[
                    {"containerPort": 0},
                    {"containerPort": 70000, "protocol": "HTTP"},
                    {"containerPort": 80, "name": "a-very-long-port-name"},
                ]
            )
        ]
    )
    assert msgs == [
        "spec.containers[0].ports[0].containerPort: Required value",
        "spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        'spec.containers[0].ports[2].name: Invalid value: "a-very-long-port-name": must be no more than 15 '
        "characters",
    ]


def test_duplicate_port_names_and_host_ports():
    msgs = pod_messages(
        containers=[
            container(
                ports=[
                    {"containerPort": 80, "name": "http", "hostPort": 8080},
                    {"containerPort": 81, "name": "http", "hostPort": 8080},
                ]
            )
        ]
    )
    assert msgs == [
        'spec.containers[0].ports[1].name: Duplicate value: "http"',
        'spec.containers[0].ports[1].hostPort: Duplicate value: "TCP//8080"',
    ]


def test_host_network_ports_must_match():
    assert pod_messages(hostNetwork=True, containers=[container(ports=[{"containerPort": 80}])]) == []
    msgs = pod_messages(
        hostNetwork=True, containers=[container(ports=[{"containerPort": 80, "hostPort": 81}])]
    )
    assert msgs == [
        "spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when "
        "`hostNetwork` is true"
    ]


def test_env_names_and_sources():
    msgs = pod_messages(
        containers=[
            container(
                env=[
                    {"name": ""},
                    {"name": "A=B"},
                    {"name": "X", "value": "1", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                    {"name": "Y", "valueFrom": {}},
                ]
            )
        ]
    )
    assert msgs == [
        "spec.containers[0].env[0].name: Required value",
        'spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable name must consist '
        "only of printable ASCII characters other than '='",
        'spec.containers[0].env[2].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
        'spec.containers[0].env[3].valueFrom: Invalid value: "": must specify one of: `fieldRef`, '
        "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
    ]


def test_env_field_ref_paths():
    ok = {"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}}
    bad = {"name": "M", "valueFrom": {"fieldRef": {"fieldPath": "spec.bogus"}}}
    msgs = pod_messages(containers=[container(env=[ok, bad])])
    assert len(msgs) == 1
    assert msgs[0].startswith(
        "spec.containers[0].env[1].valueFrom.fieldRef.fieldPath: Unsupported value: "
        '"spec.bogus": supported values: "metadata.name"'
    )


def test_requests_may_not_exceed_limits():
    msgs = pod_messages(containers=[container(resources={"limits": {"cpu": "1"}, "requests": {"cpu": "2"}})])
    assert msgs == [
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to '
        "cpu limit of 1"
    ]


def test_quantities_must_parse_and_be_non_negative():
    msgs = pod_messages(containers=[container(resources={"requests": {"cpu": "lots", "memory": "-1Gi"}})])
    assert msgs == [
        'spec.containers[0].resources.requests[cpu]: Invalid value: "lots": quantities must match the regular '
        "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        'spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0',
    ]


def test_resource_names():
    # Pods copy limits into unset requests, so each problem shows up under both.
    msgs = pod_messages(containers=[container(resources={"limits": {"pods": "1", "example.com/gpu": "1.5"}})])
    assert msgs == [
        'spec.containers[0].resources.limits[pods]: Invalid value: "pods": must be a standard resource for '
        "containers",
        "spec.containers[0].resources.limits[example.com/gpu]: Invalid value: 1500m: must be an integer",
        'spec.containers[0].resources.requests[pods]: Invalid value: "pods": must be a standard resource for '
        "containers",
        "spec.containers[0].resources.requests[example.com/gpu]: Invalid value: 1500m: must be an integer",
    ]


def test_extended_resources_need_equal_requests_and_limits():
    msgs = pod_messages(containers=[container(resources={"requests": {"example.com/gpu": "1"}})])
    assert msgs == [
        "spec.containers[0].resources.limits: Required value: Limit must be set for non "
        "overcommitable resources"
    ]


def test_restart_and_dns_policy_values():
    assert pod_messages(restartPolicy="Sometimes") == [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'
    ]
    assert pod_messages(dnsPolicy="Google") == [
        'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", '
        '"ClusterFirst", "Default", "None"'
    ]


def test_volumes():
    msgs = pod_messages(
        volumes=[
            {"name": "a", "emptyDir": {}},
            {"name": "a", "emptyDir": {}},
            {"name": "b", "emptyDir": {}, "hostPath": {"path": "/x"}},
            {"name": "c", "secret": {}},
        ]
    )
    assert msgs == [
        'spec.volumes[1].name: Duplicate value: "a"',
        "spec.volumes[2].hostPath: Forbidden: may not specify more than 1 volume type",
        "spec.volumes[3].secret.secretName: Required value",
    ]


def test_volume_mounts_must_name_a_volume():
    msgs = pod_messages(
        containers=[
            container(
                volumeMounts=[{"name": "data", "mountPath": "/data"}, {"name": "cfg", "mountPath": "/data"}]
            )
        ],
        volumes=[{"name": "cfg", "configMap": {"name": "c"}}],
    )
    assert msgs == [
        'spec.containers[0].volumeMounts[0].name: Not found: "data"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique',
    ]


def test_probes():
    msgs = pod_messages(
        containers=[
            container(
                livenessProbe={"successThreshold": 2, "tcpSocket": {"port": 0}},
                readinessProbe={},
                startupProbe={"exec": {"command": ["true"]}, "httpGet": {"port": "http"}},
            )
        ]
    )
    assert msgs == [
        "spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
        "spec.containers[0].readinessProbe: Required value: must specify a handler type",
        "spec.containers[0].startupProbe.httpGet: Forbidden: may not specify more than 1 handler type",
    ]


def test_init_containers_may_not_have_probes_unless_sidecars():
    probe = {"exec": {"command": ["true"]}}
    assert pod_messages(initContainers=[container(name="init", readinessProbe=probe)]) == [
        "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without "
        "restartPolicy=Always"
    ]
    assert (
        pod_messages(initContainers=[container(name="side", restartPolicy="Always", readinessProbe=probe)])
        == []
    )


def test_deadlines_and_grace():
    assert pod_messages(activeDeadlineSeconds=0) == [
        "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"
    ]
    assert pod_messages(terminationGracePeriodSeconds=0) == []


def test_node_selector_and_tolerations():
    msgs = pod_messages(
        nodeSelector={"disk": "ss d"},
        tolerations=[
            {"operator": "Equal", "value": "x"},
            {"key": "k", "operator": "Exists", "value": "v"},
            {"key": "k", "operator": "Maybe"},
            {"key": "k", "effect": "NoRun"},
            {"key": "k", "tolerationSeconds": 5, "effect": "NoSchedule"},
        ],
    )
    assert msgs[0].startswith('spec.nodeSelector: Invalid value: "ss d": a valid label must be')
    assert msgs[1:] == [
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, '
        'which means "match all values and all keys"',
        "spec.tolerations[1].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
        'spec.tolerations[2].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"',
        'spec.tolerations[3].effect: Unsupported value: "NoRun": supported values: "NoSchedule", '
        '"PreferNoSchedule", "NoExecute"',
        "spec.tolerations[4].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when "
        "`tolerationSeconds` is set",
    ]


def test_node_affinity_terms():
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In"}]}]
            }
        }
    }
    assert pod_messages(affinity=affinity) == [
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
        ".matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
    ]


def test_ephemeral_containers_cannot_be_set_on_create():
    assert pod_messages(ephemeralContainers=[container(name="debug")]) == [
        "spec.ephemeralContainers: Forbidden: cannot be set on create"
    ]


# ---- updates ------------------------------------------------------------------------------


def test_pod_update_may_change_the_image():
    old = pod()
    new = pod(containers=[container(image="nginx:1.26")])
    assert messages("", "Pod", new, old) == []


def test_pod_update_may_not_change_other_fields():
    old = pod(containers=[container(ports=[{"containerPort": 80}])])
    new = pod(containers=[container(ports=[{"containerPort": 81}])])
    msgs = messages("", "Pod", new, old)
    assert len(msgs) == 1
    assert msgs[0].startswith(
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
        "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
        "previously negative)\n"
    )
    assert "spec.containers[0].ports[0].containerPort: 80 -> 81" in msgs[0]


def test_pod_update_may_not_add_containers():
    msgs = messages("", "Pod", pod(containers=[container(), container(name="b")]), pod())
    assert msgs == ["spec.containers: Forbidden: pod updates may not add or remove containers"]


def test_pod_update_tolerations_only_grow():
    tol = {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}
    old = pod(tolerations=[tol])
    added = pod(tolerations=[{**tol, "tolerationSeconds": 5}, {"key": "x", "operator": "Exists"}])
    assert messages("", "Pod", added, old) == []
    assert messages("", "Pod", pod(tolerations=[]), old) == [
        "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
    ]


def test_pod_update_active_deadline_only_shrinks():
    old = pod(activeDeadlineSeconds=100)
    assert messages("", "Pod", pod(activeDeadlineSeconds=50), old) == []
    assert messages("", "Pod", pod(activeDeadlineSeconds=200), old) == [
        "spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value"
    ]
    assert messages("", "Pod", pod(), old) == [
        "spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value"
    ]


def test_node_affinity_requirements_allow_gt_and_lt_with_one_value_and_any_values():
    def term(*exprs):
        return {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": list(exprs)}]
                }
            }
        }

    path = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
    ok = [
        {"key": "cpus", "operator": "Gt", "values": ["4"]},
        {"key": "zone", "operator": "In", "values": ["not a label value!"]},  # node values are free-form
    ]
    assert pod_messages(affinity=term(*ok)) == []
    bad = [
        {"key": "cpus", "operator": "Lt", "values": ["1", "2"]},
        {"key": "zone", "operator": "Near", "values": ["a"]},
        {"key": "zone", "operator": "Exists", "values": ["a"]},
    ]
    assert pod_messages(affinity=term(*bad)) == [
        f"{path}.matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
        f'{path}.matchExpressions[1].operator: Invalid value: "Near": not a valid selector operator',
        f"{path}.matchExpressions[2].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ]


def _ephemeral_messages(old, new):
    import copy

    from api_validation_builders import resource

    from kubelite.api.defaults import apply_defaults
    from kubelite.api.validation import validate

    rt = resource("", "Pod")
    old, new = copy.deepcopy(old), copy.deepcopy(new)
    apply_defaults(rt, old)
    apply_defaults(rt, new)
    return [e.message() for e in validate(rt, new, old, "ephemeralcontainers")]


def test_ephemeral_containers_may_only_be_added_with_unique_names_and_without_ports_or_probes():
    old = pod()
    debugger = {
        "name": "debugger",
        "image": "busybox",
        "targetContainerName": old["spec"]["containers"][0]["name"],
    }
    added = pod(ephemeralContainers=[debugger])
    assert _ephemeral_messages(old, added) == []
    clash = pod(ephemeralContainers=[{"name": old["spec"]["containers"][0]["name"], "image": "busybox"}])
    assert _ephemeral_messages(old, clash)[0].startswith("spec.ephemeralContainers[0].name: Duplicate value:")
    bad = pod(
        ephemeralContainers=[
            {"name": "d", "image": "b", "ports": [{"containerPort": 80}], "targetContainerName": "nope"}
        ]
    )
    assert _ephemeral_messages(old, bad) == [
        "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container",
        'spec.ephemeralContainers[0].targetContainerName: Not found: "nope"',
    ]
    assert _ephemeral_messages(added, old) == [
        'spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger" may not be removed\n'
    ]
