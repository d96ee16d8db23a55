"""Defaulting fills exactly the fields Kubernetes fills, and nothing the client set."""

import base64

from kubelite.api.defaults import apply_defaults, pull_policy
from kubelite.api.resources import default_catalog

CATALOG = default_catalog()


def defaulted(group, kind, obj):
    rt = next(t for t in CATALOG if t.group == group and t.kind == kind)
    apply_defaults(rt, obj)
    return obj


def pod(**spec):
    spec.setdefault("containers", [{"name": "app", "image": "nginx"}])
    return {"metadata": {"name": "p", "namespace": "default"}, "spec": spec}


def template(**spec):
    spec.setdefault("containers", [{"name": "app", "image": "nginx:1.25"}])
    return {"metadata": {"labels": {"app": "web"}}, "spec": spec}


def test_pod_spec_gets_kubernetes_defaults():
    spec = defaulted("", "Pod", pod())["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert spec["securityContext"] == {}
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["enableServiceLinks"] is True


def test_container_defaults():
    c = defaulted(
        "",
        "Pod",
        pod(
            containers=[
                {
                    "name": "a",
                    "image": "nginx",
                    "ports": [{"containerPort": 80}],
                    "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                }
            ]
        ),
    )["spec"]["containers"][0]
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    assert c["imagePullPolicy"] == "Always"
    assert c["ports"][0]["protocol"] == "TCP"
    assert c["resources"] == {}
    assert c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"


def test_image_pull_policy_follows_the_tag():
    assert pull_policy("nginx") == "Always"
    assert pull_policy("nginx:latest") == "Always"
    assert pull_policy("nginx:1.25") == "IfNotPresent"
    assert pull_policy("localhost:5000/nginx") == "Always"
    assert pull_policy("nginx@sha256:abc") == "IfNotPresent"
    assert pull_policy("registry:5000/nginx:1.0") == "IfNotPresent"


def test_client_values_are_kept():
    spec = defaulted(
        "",
        "Pod",
        pod(
            restartPolicy="Never",
            terminationGracePeriodSeconds=5,
            containers=[{"name": "a", "image": "nginx", "imagePullPolicy": "Never"}],
        ),
    )["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["terminationGracePeriodSeconds"] == 5
    assert spec["containers"][0]["imagePullPolicy"] == "Never"


def test_probe_defaults():
    probe = {"httpGet": {"port": 8080}}
    c = defaulted("", "Pod", pod(containers=[{"name": "a", "image": "x", "livenessProbe": probe}]))
    got = c["spec"]["containers"][0]["livenessProbe"]
    assert got == {
        "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def test_volume_defaults():
    spec = defaulted(
        "",
        "Pod",
        pod(
            volumes=[
                {"name": "a"},
                {"name": "s", "secret": {"secretName": "x"}},
                {"name": "c", "configMap": {"name": "x"}},
                {"name": "h", "hostPath": {"path": "/tmp"}},
            ]
        ),
    )["spec"]
    vols = {v["name"]: v for v in spec["volumes"]}
    assert vols["a"]["emptyDir"] == {}
    assert vols["s"]["secret"]["defaultMode"] == 420
    assert vols["c"]["configMap"]["defaultMode"] == 420
    assert vols["h"]["hostPath"]["type"] == ""


def test_pod_requests_default_to_limits_and_quantities_are_canonical():
    c = defaulted(
        "",
        "Pod",
        pod(
            containers=[
                {
                    "name": "a",
                    "image": "x",
                    "resources": {
                        "limits": {"cpu": "0.5", "memory": "1024Mi"},
                        "requests": {"memory": "0.5Gi"},
                    },
                }
            ]
        ),
    )["spec"]["containers"][0]
    assert c["resources"] == {
        "limits": {"cpu": "500m", "memory": "1Gi"},
        "requests": {"memory": "512Mi", "cpu": "500m"},
    }


def test_templates_do_not_get_pod_only_defaults():
    d = defaulted(
        "apps",
        "Deployment",
        {
            "metadata": {"name": "d"},
            "spec": {
                "template": template(
                    containers=[{"name": "a", "image": "x", "resources": {"limits": {"cpu": "1"}}}]
                )
            },
        },
    )
    spec = d["spec"]["template"]["spec"]
    assert "enableServiceLinks" not in spec
    assert "requests" not in spec["containers"][0]["resources"]
    assert spec["restartPolicy"] == "Always"


def test_host_network_pods_get_host_ports():
    spec = defaulted(
        "",
        "Pod",
        pod(hostNetwork=True, containers=[{"name": "a", "image": "x", "ports": [{"containerPort": 53}]}]),
    )["spec"]
    assert spec["containers"][0]["ports"][0]["hostPort"] == 53


def test_deprecated_service_account_is_mirrored():
    spec = defaulted("", "Pod", pod(serviceAccount="builder"))["spec"]
    assert spec["serviceAccountName"] == "builder"
    assert spec["serviceAccount"] == "builder"


def test_deployment_defaults():
    spec = defaulted("apps", "Deployment", {"metadata": {"name": "d"}, "spec": {"template": template()}})[
        "spec"
    ]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600


def test_recreate_deployments_get_no_rolling_update():
    spec = defaulted("apps", "Deployment", {"spec": {"strategy": {"type": "Recreate"}}})["spec"]
    assert spec["strategy"] == {"type": "Recreate"}


def test_statefulset_defaults():
    spec = defaulted(
        "apps",
        "StatefulSet",
        {
            "spec": {
                "template": template(),
                "volumeClaimTemplates": [
                    {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
                ],
            }
        },
    )["spec"]
    assert spec["replicas"] == 1
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    claim = spec["volumeClaimTemplates"][0]
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["status"] == {"phase": "Pending"}


def test_statefulset_on_delete_gets_no_partition():
    spec = defaulted("apps", "StatefulSet", {"spec": {"updateStrategy": {"type": "OnDelete"}}})["spec"]
    assert spec["updateStrategy"] == {"type": "OnDelete"}


def test_daemonset_defaults():
    spec = defaulted("apps", "DaemonSet", {"spec": {"template": template()}})["spec"]
    assert spec["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert "replicas" not in spec


def test_replicaset_and_rc_defaults():
    assert defaulted("apps", "ReplicaSet", {"spec": {}})["spec"]["replicas"] == 1
    rc = defaulted("", "ReplicationController", {"metadata": {"name": "r"}, "spec": {"template": template()}})
    assert rc["spec"]["replicas"] == 1
    assert rc["spec"]["selector"] == {"app": "web"}
    assert rc["metadata"]["labels"] == {"app": "web"}


def test_job_defaults():
    job = defaulted("batch", "Job", {"metadata": {"name": "j"}, "spec": {"template": template()}})
    spec = job["spec"]
    assert (spec["parallelism"], spec["completions"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["completionMode"] == "NonIndexed"
    assert spec["suspend"] is False
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    assert "manualSelector" not in spec
    assert job["metadata"]["labels"] == {"app": "web"}


def test_job_completions_stay_unset_when_parallelism_is_given():
    spec = defaulted("batch", "Job", {"spec": {"parallelism": 3}})["spec"]
    assert "completions" not in spec
    spec = defaulted("batch", "Job", {"spec": {"podFailurePolicy": {"rules": []}}})["spec"]
    assert spec["podReplacementPolicy"] == "Failed"


def test_cronjob_defaults():
    spec = defaulted(
        "batch",
        "CronJob",
        {"spec": {"schedule": "@hourly", "jobTemplate": {"spec": {"template": template()}}}},
    )["spec"]
    assert spec["concurrencyPolicy"] == "Allow"
    assert spec["suspend"] is False
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    job_spec = spec["jobTemplate"]["spec"]
    assert "backoffLimit" not in job_spec
    assert job_spec["template"]["spec"]["dnsPolicy"] == "ClusterFirst"


def test_service_defaults():
    spec = defaulted("", "Service", {"spec": {"ports": [{"port": 80}], "selector": {"app": "web"}}})["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert "externalTrafficPolicy" not in spec
    assert spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["ipFamilies"] == ["IPv4"]
    assert "clusterIP" not in spec


def test_nodeport_and_loadbalancer_services_get_external_policy():
    spec = defaulted("", "Service", {"spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}})["spec"]
    assert spec["externalTrafficPolicy"] == "Cluster"
    assert spec["allocateLoadBalancerNodePorts"] is True


def test_external_name_services_get_no_ip_families():
    spec = defaulted("", "Service", {"spec": {"type": "ExternalName", "externalName": "a.b"}})["spec"]
    assert "ipFamilies" not in spec and "internalTrafficPolicy" not in spec


def test_client_ip_affinity_gets_a_timeout():
    spec = defaulted("", "Service", {"spec": {"sessionAffinity": "ClientIP"}})["spec"]
    assert spec["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_namespace_defaults():
    ns = defaulted("", "Namespace", {"metadata": {"name": "dev"}})
    assert "finalizers" not in ns.get("spec", {})  # the namespace registry adds it on create
    assert ns["status"]["phase"] == "Active"
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == "dev"


def test_secret_defaults_and_string_data():
    s = defaulted("", "Secret", {"stringData": {"password": "hunter2"}, "data": {"a": "Yg=="}})
    assert s["type"] == "Opaque"
    assert "stringData" not in s
    assert base64.b64decode(s["data"]["password"]) == b"hunter2"
    assert s["data"]["a"] == "Yg=="


def test_storage_defaults():
    pv = defaulted(
        "", "PersistentVolume", {"spec": {"capacity": {"storage": "1.5Gi"}, "hostPath": {"path": "/d"}}}
    )
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["volumeMode"] == "Filesystem"
    assert pv["spec"]["capacity"] == {"storage": "1536Mi"}
    assert pv["status"]["phase"] == "Pending"
    pvc = defaulted("", "PersistentVolumeClaim", {"spec": {"accessModes": ["ReadWriteOnce"]}})
    assert pvc["spec"]["volumeMode"] == "Filesystem"
    assert pvc["status"]["phase"] == "Pending"


def test_endpoints_and_slices_default_port_protocol():
    ep = defaulted("", "Endpoints", {"subsets": [{"ports": [{"port": 80}]}]})
    assert ep["subsets"][0]["ports"][0]["protocol"] == "TCP"
    eps = defaulted("discovery.k8s.io", "EndpointSlice", {"ports": [{"port": 80}]})
    assert eps["ports"][0] == {"port": 80, "name": "", "protocol": "TCP"}


def test_network_policy_types():
    np = defaulted("networking.k8s.io", "NetworkPolicy", {"spec": {"podSelector": {}}})
    assert np["spec"]["policyTypes"] == ["Ingress"]
    np = defaulted("networking.k8s.io", "NetworkPolicy", {"spec": {"egress": [{"ports": [{"port": 53}]}]}})
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert np["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP"


def test_limit_range_container_defaults():
    lr = defaulted(
        "",
        "LimitRange",
        {"spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}}]}},
    )
    item = lr["spec"]["limits"][0]
    assert item["default"] == {"cpu": "2"}
    assert item["defaultRequest"] == {"cpu": "2", "memory": "64Mi"}


def test_priority_class_and_node_defaults():
    assert (
        defaulted("scheduling.k8s.io", "PriorityClass", {"value": 5})["preemptionPolicy"]
        == "PreemptLowerPriority"
    )
    node = defaulted("", "Node", {"status": {"capacity": {"cpu": "4", "memory": "8192Mi"}}})
    assert node["status"]["allocatable"] == {"cpu": "4", "memory": "8Gi"}


def test_role_binding_api_groups():
    rb = defaulted(
        "rbac.authorization.k8s.io",
        "RoleBinding",
        {
            "roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "u"}, {"kind": "ServiceAccount", "name": "s"}],
        },
    )
    assert rb["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert [s["apiGroup"] for s in rb["subjects"]] == ["rbac.authorization.k8s.io", ""]


def test_kinds_without_defaults_are_untouched():
    cm = {"metadata": {"name": "c"}, "data": {"a": "b"}}
    assert defaulted("", "ConfigMap", dict(cm)) == cm
    lease = {"spec": {"holderIdentity": "x"}}
    assert defaulted("coordination.k8s.io", "Lease", dict(lease)) == lease


def test_malformed_objects_do_not_crash_defaulting():
    defaulted("", "Pod", {"spec": {"containers": "nope", "volumes": [3]}})
    defaulted("apps", "Deployment", {"spec": {"template": "x"}})
