"""`kubectl api-resources` lists what Kubernetes 1.32 lists, with the same short names,
versions, scopes, kinds, verbs and categories (a cluster with default feature gates)."""

from __future__ import annotations

import json

ALL = "create,delete,deletecollection,get,list,patch,update,watch"
CREATE = "create"
AR = "admissionregistration.k8s.io/v1"

# name, short names, apiVersion, namespaced, kind, verbs, categories
KUBERNETES_1_32 = [
    ("bindings", "", "v1", True, "Binding", CREATE, ""),
    ("componentstatuses", "cs", "v1", False, "ComponentStatus", "get,list", ""),
    ("configmaps", "cm", "v1", True, "ConfigMap", ALL, ""),
    ("endpoints", "ep", "v1", True, "Endpoints", ALL, ""),
    ("events", "ev", "v1", True, "Event", ALL, ""),
    ("limitranges", "limits", "v1", True, "LimitRange", ALL, ""),
    ("namespaces", "ns", "v1", False, "Namespace", "create,delete,get,list,patch,update,watch", ""),
    ("nodes", "no", "v1", False, "Node", ALL, ""),
    ("persistentvolumeclaims", "pvc", "v1", True, "PersistentVolumeClaim", ALL, ""),
    ("persistentvolumes", "pv", "v1", False, "PersistentVolume", ALL, ""),
    ("pods", "po", "v1", True, "Pod", ALL, "all"),
    ("podtemplates", "", "v1", True, "PodTemplate", ALL, ""),
    ("replicationcontrollers", "rc", "v1", True, "ReplicationController", ALL, "all"),
    ("resourcequotas", "quota", "v1", True, "ResourceQuota", ALL, ""),
    ("secrets", "", "v1", True, "Secret", ALL, ""),
    ("serviceaccounts", "sa", "v1", True, "ServiceAccount", ALL, ""),
    ("services", "svc", "v1", True, "Service", ALL, "all"),
    ("mutatingwebhookconfigurations", "", AR, False, "MutatingWebhookConfiguration", ALL, "api-extensions"),
    ("validatingadmissionpolicies", "", AR, False, "ValidatingAdmissionPolicy", ALL, "api-extensions"),
    (
        "validatingadmissionpolicybindings",
        "",
        AR,
        False,
        "ValidatingAdmissionPolicyBinding",
        ALL,
        "api-extensions",
    ),
    (
        "validatingwebhookconfigurations",
        "",
        AR,
        False,
        "ValidatingWebhookConfiguration",
        ALL,
        "api-extensions",
    ),
    (
        "customresourcedefinitions",
        "crd,crds",
        "apiextensions.k8s.io/v1",
        False,
        "CustomResourceDefinition",
        ALL,
        "api-extensions",
    ),
    ("apiservices", "", "apiregistration.k8s.io/v1", False, "APIService", ALL, "api-extensions"),
    ("controllerrevisions", "", "apps/v1", True, "ControllerRevision", ALL, ""),
    ("daemonsets", "ds", "apps/v1", True, "DaemonSet", ALL, "all"),
    ("deployments", "deploy", "apps/v1", True, "Deployment", ALL, "all"),
    ("replicasets", "rs", "apps/v1", True, "ReplicaSet", ALL, "all"),
    ("statefulsets", "sts", "apps/v1", True, "StatefulSet", ALL, "all"),
    ("selfsubjectreviews", "", "authentication.k8s.io/v1", False, "SelfSubjectReview", CREATE, ""),
    ("tokenreviews", "", "authentication.k8s.io/v1", False, "TokenReview", CREATE, ""),
    (
        "localsubjectaccessreviews",
        "",
        "authorization.k8s.io/v1",
        True,
        "LocalSubjectAccessReview",
        CREATE,
        "",
    ),
    ("selfsubjectaccessreviews", "", "authorization.k8s.io/v1", False, "SelfSubjectAccessReview", CREATE, ""),
    ("selfsubjectrulesreviews", "", "authorization.k8s.io/v1", False, "SelfSubjectRulesReview", CREATE, ""),
    ("subjectaccessreviews", "", "authorization.k8s.io/v1", False, "SubjectAccessReview", CREATE, ""),
    ("horizontalpodautoscalers", "hpa", "autoscaling/v2", True, "HorizontalPodAutoscaler", ALL, "all"),
    ("cronjobs", "cj", "batch/v1", True, "CronJob", ALL, "all"),
    ("jobs", "", "batch/v1", True, "Job", ALL, "all"),
    (
        "certificatesigningrequests",
        "csr",
        "certificates.k8s.io/v1",
        False,
        "CertificateSigningRequest",
        ALL,
        "",
    ),
    ("leases", "", "coordination.k8s.io/v1", True, "Lease", ALL, ""),
    ("endpointslices", "", "discovery.k8s.io/v1", True, "EndpointSlice", ALL, ""),
    ("events", "ev", "events.k8s.io/v1", True, "Event", ALL, ""),
    ("flowschemas", "", "flowcontrol.apiserver.k8s.io/v1", False, "FlowSchema", ALL, ""),
    (
        "prioritylevelconfigurations",
        "",
        "flowcontrol.apiserver.k8s.io/v1",
        False,
        "PriorityLevelConfiguration",
        ALL,
        "",
    ),
    ("ingressclasses", "", "networking.k8s.io/v1", False, "IngressClass", ALL, ""),
    ("ingresses", "ing", "networking.k8s.io/v1", True, "Ingress", ALL, ""),
    ("networkpolicies", "netpol", "networking.k8s.io/v1", True, "NetworkPolicy", ALL, ""),
    ("runtimeclasses", "", "node.k8s.io/v1", False, "RuntimeClass", ALL, ""),
    ("poddisruptionbudgets", "pdb", "policy/v1", True, "PodDisruptionBudget", ALL, ""),
    ("clusterrolebindings", "", "rbac.authorization.k8s.io/v1", False, "ClusterRoleBinding", ALL, ""),
    ("clusterroles", "", "rbac.authorization.k8s.io/v1", False, "ClusterRole", ALL, ""),
    ("rolebindings", "", "rbac.authorization.k8s.io/v1", True, "RoleBinding", ALL, ""),
    ("roles", "", "rbac.authorization.k8s.io/v1", True, "Role", ALL, ""),
    ("priorityclasses", "pc", "scheduling.k8s.io/v1", False, "PriorityClass", ALL, ""),
    ("csidrivers", "", "storage.k8s.io/v1", False, "CSIDriver", ALL, ""),
    ("csinodes", "", "storage.k8s.io/v1", False, "CSINode", ALL, ""),
    ("csistoragecapacities", "", "storage.k8s.io/v1", True, "CSIStorageCapacity", ALL, ""),
    ("storageclasses", "sc", "storage.k8s.io/v1", False, "StorageClass", ALL, ""),
    ("volumeattachments", "", "storage.k8s.io/v1", False, "VolumeAttachment", ALL, ""),
]


def parse_wide(out: str) -> list[tuple[str, str, str, bool, str, str, str]]:
    """Rows of `kubectl api-resources -o wide`, cut at the header's column starts."""
    lines = out.splitlines()
    header = lines[0]
    names = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS", "CATEGORIES"]
    starts = [header.index(n) for n in names] + [None]
    rows = []
    for line in lines[1:]:
        cells = [line[starts[i] : starts[i + 1]].strip() for i in range(len(names))]
        verbs = cells[5].strip("[]").replace(" ", ",")
        categories = cells[6].strip("[]").replace(" ", ",")
        rows.append((cells[0], cells[1], cells[2], cells[3] == "true", cells[4], verbs, categories))
    return rows


def custom_groups(cluster) -> set[str]:
    """The API groups other tests' CustomResourceDefinitions serve on the shared cluster."""
    crds = json.loads(cluster.kubectl("get", "crd", "-o", "json").stdout)["items"]
    return {crd["spec"]["group"] for crd in crds}


def test_api_resources_lists_every_resource_kubernetes_1_32_lists(cluster):
    out = cluster.kubectl("api-resources", "-o", "wide").stdout
    custom = custom_groups(cluster)
    built_in = [row for row in parse_wide(out) if row[2].split("/")[0] not in custom]
    assert sorted(built_in) == sorted(KUBERNETES_1_32)
    assert len(KUBERNETES_1_32) == 58
