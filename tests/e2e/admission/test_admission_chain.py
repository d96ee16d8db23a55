"""The admission chain through the real kubectl: what Kubernetes' default plugins do to and
refuse of the objects kubectl sends."""

from __future__ import annotations

import json

POD = """
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  containers:
  - name: app
    image: busybox
{extra}
"""


def _pod(cluster, ns, name="p"):
    return json.loads(cluster.kubectl("get", "pod", name, "-n", ns, "-o", "json").stdout)


def test_a_pod_gets_the_default_service_account_and_kubernetes_projected_token_volume(admitting, namespace):
    admitting.kubectl("run", "p", "--image=busybox", "-n", namespace)
    spec = _pod(admitting, namespace)["spec"]
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "default"
    [volume] = spec["volumes"]
    assert (
        volume["name"].startswith("kube-api-access-") and len(volume["name"]) == len("kube-api-access-") + 5
    )
    assert volume["projected"] == {
        "defaultMode": 420,
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {
                "downwardAPI": {
                    "items": [
                        {
                            "path": "namespace",
                            "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                        }
                    ]
                }
            },
        ],
    }
    assert spec["containers"][0]["volumeMounts"] == [
        {
            "name": volume["name"],
            "readOnly": True,
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        }
    ]


def test_a_pod_whose_service_account_is_missing_is_refused(admitting, namespace):
    r = admitting.kubectl(
        "run",
        "p",
        "--image=busybox",
        "-n",
        namespace,
        "--overrides",
        '{"spec": {"serviceAccountName": "robot"}}',
        check=False,
    )
    assert r.returncode != 0
    assert (
        f'Error from server (Forbidden): pods "p" is forbidden: error looking up service account '
        f'{namespace}/robot: serviceaccount "robot" not found'
    ) in r.stderr


def test_automount_false_on_the_service_account_leaves_the_token_out(admitting, namespace):
    admitting.kubectl("create", "serviceaccount", "quiet", "-n", namespace)
    admitting.kubectl(
        "patch", "serviceaccount", "quiet", "-n", namespace, "-p", '{"automountServiceAccountToken": false}'
    )
    admitting.kubectl(
        "run",
        "p",
        "--image=busybox",
        "-n",
        namespace,
        "--overrides",
        '{"spec": {"serviceAccountName": "quiet"}}',
    )
    spec = _pod(admitting, namespace)["spec"]
    assert "volumes" not in spec and "volumeMounts" not in spec["containers"][0]


def test_pods_tolerate_not_ready_and_unreachable_nodes_for_300_seconds(admitting, namespace):
    admitting.kubectl("run", "p", "--image=busybox", "-n", namespace)
    assert _pod(admitting, namespace)["spec"]["tolerations"] == [
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
    ]


def test_a_pod_in_a_missing_namespace_is_not_found_and_system_namespaces_cannot_be_deleted(admitting):
    r = admitting.kubectl("run", "p", "--image=busybox", "-n", "nowhere", check=False)
    assert 'Error from server (NotFound): namespaces "nowhere" not found' in r.stderr
    r = admitting.kubectl("delete", "namespace", "kube-system", check=False)
    assert 'namespaces "kube-system" is forbidden: this namespace may not be deleted' in r.stderr


def test_limit_range_defaults_appear_on_pods_with_the_annotation(admitting, namespace):
    admitting.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input="""
apiVersion: v1
kind: LimitRange
metadata: {name: defaults}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 128Mi}
    defaultRequest: {cpu: 100m}
""",
    )
    admitting.kubectl("run", "p", "--image=busybox", "-n", namespace)
    pod = _pod(admitting, namespace)
    assert pod["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "500m", "memory": "128Mi"},
        "requests": {"cpu": "100m", "memory": "128Mi"},
    }
    assert pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container p; cpu, memory limit for container p"
    )


def test_limit_range_bounds_refuse_a_pod_with_kubernetes_message(admitting, namespace):
    admitting.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input="""
apiVersion: v1
kind: LimitRange
metadata: {name: bounds}
spec:
  limits:
  - type: Container
    max: {cpu: "1"}
""",
    )
    r = admitting.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        check=False,
        input=POD.format(name="big", extra="    resources: {limits: {cpu: '2'}}"),
    )
    assert 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2' in r.stderr


def test_a_restricted_namespace_refuses_a_privileged_pod_with_pod_security_message(admitting, namespace):
    admitting.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    r = admitting.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        check=False,
        input=POD.format(name="root", extra="    securityContext: {privileged: true}"),
    )
    assert r.returncode != 0
    assert (
        'Error from server (Forbidden): error when creating "STDIN": pods "root" is forbidden: '
        'violates PodSecurity "restricted:latest": privileged (container "app" must not set '
        "securityContext.privileged=true), "
        'allowPrivilegeEscalation != false (container "app" must set '
        "securityContext.allowPrivilegeEscalation=false), "
        'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), '
        'runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), '
        'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to '
        '"RuntimeDefault" or "Localhost")'
    ) in r.stderr


def test_a_compliant_pod_is_admitted_in_a_restricted_namespace(admitting, namespace):
    admitting.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    admitting.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=POD.format(
            name="ok",
            extra="""    securityContext:
      allowPrivilegeEscalation: false
      runAsNonRoot: true
      capabilities: {drop: [ALL]}
      seccompProfile: {type: RuntimeDefault}""",
        ),
    )


def test_a_warn_label_admits_the_pod_with_a_warning_and_deployments_are_only_warned_about(
    admitting, namespace
):
    admitting.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/warn=baseline")
    r = admitting.kubectl("run", "p", "--image=busybox", "-n", namespace, "--privileged")
    assert (
        'Warning: would violate PodSecurity "baseline:latest": privileged '
        '(container "p" must not set securityContext.privileged=true)'
    ) in r.stderr
    admitting.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=baseline")
    r = admitting.kubectl("create", "deployment", "d", "--image=busybox", "-n", namespace)
    assert r.returncode == 0


def test_enforcing_a_level_warns_about_existing_pods(admitting, namespace):
    admitting.kubectl("run", "p", "--image=busybox", "-n", namespace, "--privileged")
    r = admitting.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=baseline")
    assert (
        f'Warning: existing pods in namespace "{namespace}" violate the new PodSecurity enforce level '
        '"baseline:latest"'
    ) in r.stderr
    assert "Warning: p: privileged" in r.stderr
    # Updates that cannot change what the pod may do pass; a new image is judged again.
    admitting.kubectl("label", "pod", "p", "-n", namespace, "touched=yes")
    r = admitting.kubectl("set", "image", "pod/p", "p=busybox:1.36", "-n", namespace, check=False)
    assert 'pods "p" is forbidden: violates PodSecurity "baseline:latest": privileged' in r.stderr


def test_a_bad_pod_security_label_is_invalid(admitting, namespace):
    r = admitting.kubectl(
        "label", "namespace", namespace, "pod-security.kubernetes.io/enforce=strict", check=False
    )
    assert (
        'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of '
        "privileged, baseline, restricted"
    ) in r.stderr


def test_quota_refuses_what_exceeds_it_with_kubernetes_message(admitting, namespace):
    admitting.kubectl("create", "quota", "q", "--hard=pods=1,configmaps=1", "-n", namespace)
    r = admitting.kubectl("run", "p", "--image=busybox", "-n", namespace, check=False)
    assert 'pods "p" is forbidden: status unknown for quota: q, resources: pods' in r.stderr
    # What the resource quota controller would write once it has counted the namespace.
    admitting.kubectl(
        "patch",
        "quota",
        "q",
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status": {"hard": {"pods": "1", "configmaps": "1"}, "used": {"pods": "0", "configmaps": "0"}}}',
    )
    admitting.kubectl("run", "p", "--image=busybox", "-n", namespace)
    r = admitting.kubectl("run", "p2", "--image=busybox", "-n", namespace, check=False)
    assert (
        'Error from server (Forbidden): pods "p2" is forbidden: exceeded quota: q, requested: pods=1, '
        "used: pods=1, limited: pods=1"
    ) in r.stderr
    used = json.loads(admitting.kubectl("get", "quota", "q", "-n", namespace, "-o", "json").stdout)["status"][
        "used"
    ]
    assert used == {"pods": "1", "configmaps": "0"}
    admitting.kubectl("create", "configmap", "c1", "-n", namespace)
    r = admitting.kubectl("create", "configmap", "c2", "-n", namespace, check=False)
    assert (
        'configmaps "c2" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=1, '
        "limited: configmaps=1"
    ) in r.stderr


def test_a_quota_on_cpu_needs_every_container_to_state_it(admitting, namespace):
    admitting.kubectl(
        "create", "quota", "compute", "--hard=requests.cpu=1,limits.memory=1Gi", "-n", namespace
    )
    r = admitting.kubectl("run", "p", "--image=busybox", "-n", namespace, check=False)
    assert (
        'pods "p" is forbidden: failed quota: compute: must specify limits.memory for: p; requests.cpu for: p'
    ) in r.stderr


def test_priority_comes_from_the_class_and_a_second_default_class_is_refused(admitting, namespace):
    admitting.kubectl("create", "priorityclass", "t-high", "--value=1000", "--global-default")
    try:
        admitting.kubectl("run", "p", "--image=busybox", "-n", namespace)
        spec = _pod(admitting, namespace)["spec"]
        assert (spec["priorityClassName"], spec["priority"]) == ("t-high", 1000)
        r = admitting.kubectl(
            "create", "priorityclass", "t-other", "--value=1", "--global-default", check=False
        )
        assert (
            'priorityclasses.scheduling.k8s.io "t-other" is forbidden: PriorityClass t-high is already '
            "marked as default. Only one default can exist"
        ) in r.stderr
    finally:
        admitting.kubectl("delete", "priorityclass", "t-high")


def test_a_new_node_starts_tainted_not_ready_no_schedule(admitting):
    admitting.kubectl(
        "apply", "-f", "-", input="apiVersion: v1\nkind: Node\nmetadata: {name: t-fresh-node}\n"
    )
    try:
        node = json.loads(admitting.kubectl("get", "node", "t-fresh-node", "-o", "json").stdout)
        assert node["spec"]["taints"] == [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]
    finally:
        admitting.kubectl("delete", "node", "t-fresh-node")
