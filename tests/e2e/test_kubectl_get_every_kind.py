"""`kubectl get`, `describe` and `explain` of every kind the API server lists: a minimal
valid object of each, printed through the server-side Table with Kubernetes' columns,
described by kubectl's describers, and explained from the published OpenAPI schema."""

from __future__ import annotations

import base64
import json
import re
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from kubelite.api.resources import default_catalog

WHEN = "2024-01-01T00:00:00Z"
CONTAINERS = [{"name": "c", "image": "nginx"}]
TEMPLATE = {"metadata": {"labels": {"app": "k"}}, "spec": {"containers": CONTAINERS}}
SELECTOR = {"matchLabels": {"app": "k"}}
ROLE_REF = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}
_KEY = ec.generate_private_key(ec.SECP256R1())
CSR_REQUEST = base64.b64encode(
    x509.CertificateSigningRequestBuilder()
    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "e2e")]))
    .sign(_KEY, hashes.SHA256())
    .public_bytes(Encoding.PEM)
).decode()
WEBHOOK = {
    "name": "w.example.com",
    "clientConfig": {"url": "https://example.com/hook"},
    "sideEffects": "None",
    "admissionReviewVersions": ["v1"],
}
RULES = [
    {"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["deployments"]}
]

# resource (as kubectl names it) -> (apiVersion, kind, fields beside metadata, header)
CASES: dict[str, tuple[str, str, dict, list[str]]] = {
    "configmaps": ("v1", "ConfigMap", {"data": {"a": "b"}}, ["NAME", "DATA", "AGE"]),
    "endpoints": ("v1", "Endpoints", {}, ["NAME", "ENDPOINTS", "AGE"]),
    "events": (
        "v1",
        "Event",
        {
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "{ns}"},
            "reason": "R",
            "message": "m",
            "type": "Normal",
            "firstTimestamp": WHEN,
            "lastTimestamp": WHEN,
        },
        ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
    ),
    "limitranges": (
        "v1",
        "LimitRange",
        {"spec": {"limits": [{"type": "Container", "default": {"cpu": "1"}}]}},
        ["NAME", "CREATED AT"],
    ),
    "namespaces": ("v1", "Namespace", {}, ["NAME", "STATUS", "AGE"]),
    "nodes": ("v1", "Node", {}, ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]),
    "persistentvolumeclaims": (
        "v1",
        "PersistentVolumeClaim",
        {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
        [
            "NAME",
            "STATUS",
            "VOLUME",
            "CAPACITY",
            "ACCESS MODES",
            "STORAGECLASS",
            "VOLUMEATTRIBUTESCLASS",
            "AGE",
        ],
    ),
    "persistentvolumes": (
        "v1",
        "PersistentVolume",
        {
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "hostPath": {"path": "/tmp/k"},
            }
        },
        [
            "NAME",
            "CAPACITY",
            "ACCESS MODES",
            "RECLAIM POLICY",
            "STATUS",
            "CLAIM",
            "STORAGECLASS",
            "VOLUMEATTRIBUTESCLASS",
            "REASON",
            "AGE",
        ],
    ),
    "pods": (
        "v1",
        "Pod",
        {"spec": {"containers": CONTAINERS}},
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
    ),
    "podtemplates": (
        "v1",
        "PodTemplate",
        {"template": TEMPLATE},
        ["NAME", "CONTAINERS", "IMAGES", "POD LABELS"],
    ),
    "replicationcontrollers": (
        "v1",
        "ReplicationController",
        {"spec": {"selector": {"app": "k"}, "template": TEMPLATE}},
        ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
    ),
    "resourcequotas": (
        "v1",
        "ResourceQuota",
        {"spec": {"hard": {"pods": "10"}}},
        ["NAME", "REQUEST", "LIMIT", "AGE"],
    ),
    "secrets": ("v1", "Secret", {"stringData": {"a": "b"}}, ["NAME", "TYPE", "DATA", "AGE"]),
    "serviceaccounts": ("v1", "ServiceAccount", {}, ["NAME", "SECRETS", "AGE"]),
    "services": (
        "v1",
        "Service",
        {"spec": {"ports": [{"port": 80}]}},
        ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
    ),
    "controllerrevisions.apps": (
        "apps/v1",
        "ControllerRevision",
        {"revision": 1, "data": {}},
        ["NAME", "CONTROLLER", "REVISION", "AGE"],
    ),
    "daemonsets.apps": (
        "apps/v1",
        "DaemonSet",
        {"spec": {"selector": SELECTOR, "template": TEMPLATE}},
        ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"],
    ),
    "deployments.apps": (
        "apps/v1",
        "Deployment",
        {"spec": {"selector": SELECTOR, "template": TEMPLATE}},
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
    ),
    "replicasets.apps": (
        "apps/v1",
        "ReplicaSet",
        {"spec": {"selector": SELECTOR, "template": TEMPLATE}},
        ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
    ),
    "statefulsets.apps": (
        "apps/v1",
        "StatefulSet",
        {"spec": {"selector": SELECTOR, "template": TEMPLATE}},
        ["NAME", "READY", "AGE"],
    ),
    "cronjobs.batch": (
        "batch/v1",
        "CronJob",
        {
            "spec": {
                "schedule": "*/5 * * * *",
                "jobTemplate": {
                    "spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": CONTAINERS}}}
                },
            }
        },
        ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
    ),
    "jobs.batch": (
        "batch/v1",
        "Job",
        {"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": CONTAINERS}}}},
        ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
    ),
    "leases.coordination.k8s.io": (
        "coordination.k8s.io/v1",
        "Lease",
        {"spec": {}},
        ["NAME", "HOLDER", "AGE"],
    ),
    "endpointslices.discovery.k8s.io": (
        "discovery.k8s.io/v1",
        "EndpointSlice",
        {"addressType": "IPv4", "endpoints": []},
        ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
    ),
    "events.events.k8s.io": (
        "events.k8s.io/v1",
        "Event",
        {
            "eventTime": "2024-01-01T00:00:00.000000Z",
            "reportingController": "example.com/c",
            "reportingInstance": "i",
            "action": "Act",
            "reason": "R",
            "type": "Normal",
            "regarding": {"kind": "Pod", "name": "p", "namespace": "{ns}"},
            "note": "n",
        },
        ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
    ),
    "ingressclasses.networking.k8s.io": (
        "networking.k8s.io/v1",
        "IngressClass",
        {"spec": {"controller": "example.com/ingress"}},
        ["NAME", "CONTROLLER", "PARAMETERS", "AGE"],
    ),
    "ingresses.networking.k8s.io": (
        "networking.k8s.io/v1",
        "Ingress",
        {"spec": {"defaultBackend": {"service": {"name": "s", "port": {"number": 80}}}}},
        ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"],
    ),
    "networkpolicies.networking.k8s.io": (
        "networking.k8s.io/v1",
        "NetworkPolicy",
        {"spec": {"podSelector": {}}},
        ["NAME", "POD-SELECTOR", "AGE"],
    ),
    "poddisruptionbudgets.policy": (
        "policy/v1",
        "PodDisruptionBudget",
        {"spec": {"minAvailable": 1, "selector": SELECTOR}},
        ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"],
    ),
    "clusterrolebindings.rbac.authorization.k8s.io": (
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        {"roleRef": ROLE_REF},
        ["NAME", "ROLE", "AGE"],
    ),
    "clusterroles.rbac.authorization.k8s.io": (
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        {"rules": []},
        ["NAME", "CREATED AT"],
    ),
    "rolebindings.rbac.authorization.k8s.io": (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        {"roleRef": ROLE_REF},
        ["NAME", "ROLE", "AGE"],
    ),
    "roles.rbac.authorization.k8s.io": (
        "rbac.authorization.k8s.io/v1",
        "Role",
        {"rules": []},
        ["NAME", "CREATED AT"],
    ),
    "priorityclasses.scheduling.k8s.io": (
        "scheduling.k8s.io/v1",
        "PriorityClass",
        {"value": 1000},
        ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"],
    ),
    "mutatingwebhookconfigurations.admissionregistration.k8s.io": (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        {"webhooks": [WEBHOOK]},
        ["NAME", "WEBHOOKS", "AGE"],
    ),
    "validatingwebhookconfigurations.admissionregistration.k8s.io": (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        {"webhooks": [WEBHOOK]},
        ["NAME", "WEBHOOKS", "AGE"],
    ),
    "validatingadmissionpolicies.admissionregistration.k8s.io": (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicy",
        {"spec": {"matchConstraints": {"resourceRules": RULES}, "validations": [{"expression": "true"}]}},
        ["NAME", "VALIDATIONS", "PARAMKIND", "AGE"],
    ),
    "validatingadmissionpolicybindings.admissionregistration.k8s.io": (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicyBinding",
        {"spec": {"policyName": "p", "validationActions": ["Deny"]}},
        ["NAME", "POLICYNAME", "PARAMREF", "AGE"],
    ),
    "customresourcedefinitions.apiextensions.k8s.io": (
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        {
            "spec": {
                "group": "{ns}.example.com",
                "names": {
                    "plural": "{crd}",
                    "singular": "{crd}x",
                    "kind": "Widget",
                    "listKind": "WidgetList",
                },
                "scope": "Namespaced",
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": {"type": "object"}},
                    }
                ],
            }
        },
        ["NAME", "CREATED AT"],
    ),
    "apiservices.apiregistration.k8s.io": (
        "apiregistration.k8s.io/v1",
        "APIService",
        {
            "spec": {
                "group": "{ns}.example.com",
                "version": "v1",
                "groupPriorityMinimum": 100,
                "versionPriority": 10,
                "service": {"namespace": "default", "name": "api"},
            }
        },
        ["NAME", "SERVICE", "AVAILABLE", "AGE"],
    ),
    "horizontalpodautoscalers.autoscaling": (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        {"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3}},
        ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
    ),
    "certificatesigningrequests.certificates.k8s.io": (
        "certificates.k8s.io/v1",
        "CertificateSigningRequest",
        {"spec": {"request": CSR_REQUEST, "signerName": "example.com/e2e", "usages": ["client auth"]}},
        ["NAME", "AGE", "SIGNERNAME", "REQUESTOR", "REQUESTEDDURATION", "CONDITION"],
    ),
    "flowschemas.flowcontrol.apiserver.k8s.io": (
        "flowcontrol.apiserver.k8s.io/v1",
        "FlowSchema",
        {"spec": {"priorityLevelConfiguration": {"name": "global-default"}}},
        ["NAME", "PRIORITYLEVEL", "MATCHINGPRECEDENCE", "DISTINGUISHERMETHOD", "AGE", "MISSINGPL"],
    ),
    "prioritylevelconfigurations.flowcontrol.apiserver.k8s.io": (
        "flowcontrol.apiserver.k8s.io/v1",
        "PriorityLevelConfiguration",
        {"spec": {"type": "Limited", "limited": {"limitResponse": {"type": "Reject"}}}},
        ["NAME", "TYPE", "NOMINALCONCURRENCYSHARES", "QUEUES", "HANDSIZE", "QUEUELENGTHLIMIT", "AGE"],
    ),
    "runtimeclasses.node.k8s.io": (
        "node.k8s.io/v1",
        "RuntimeClass",
        {"handler": "runsc"},
        ["NAME", "HANDLER", "AGE"],
    ),
    "csidrivers.storage.k8s.io": (
        "storage.k8s.io/v1",
        "CSIDriver",
        {"spec": {}},
        [
            "NAME",
            "ATTACHREQUIRED",
            "PODINFOONMOUNT",
            "STORAGECAPACITY",
            "TOKENREQUESTS",
            "REQUIRESREPUBLISH",
            "MODES",
            "AGE",
        ],
    ),
    "csinodes.storage.k8s.io": (
        "storage.k8s.io/v1",
        "CSINode",
        {"spec": {"drivers": [{"name": "csi.example.com", "nodeID": "n1"}]}},
        ["NAME", "DRIVERS", "AGE"],
    ),
    "csistoragecapacities.storage.k8s.io": (
        "storage.k8s.io/v1",
        "CSIStorageCapacity",
        {"storageClassName": "fast", "capacity": "1Gi"},
        ["NAME", "STORAGECLASSNAME", "CAPACITY"],
    ),
    "storageclasses.storage.k8s.io": (
        "storage.k8s.io/v1",
        "StorageClass",
        {"provisioner": "example.com/fast"},
        ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"],
    ),
    "volumeattachments.storage.k8s.io": (
        "storage.k8s.io/v1",
        "VolumeAttachment",
        {
            "spec": {
                "attacher": "csi.example.com",
                "nodeName": "n1",
                "source": {"persistentVolumeName": "pv1"},
            }
        },
        ["NAME", "ATTACHER", "PV", "NODE", "ATTACHED", "AGE"],
    ),
}
# Served read-only: nothing to create.
NOT_CREATABLE = {"componentstatuses"}


def kubectl_name(plural: str, group: str) -> str:
    return f"{plural}.{group}" if group else plural


def test_every_listed_kind_has_a_case():
    catalog = default_catalog()
    listed = {
        kubectl_name(rt.plural, rt.group)
        for gv in catalog.group_versions()
        for rt in catalog.in_group_version(*gv)
        if "list" in rt.verbs
    }
    assert listed == set(CASES) | NOT_CREATABLE


def header(out: str) -> list[str]:
    return re.split(r"\s{2,}", out.splitlines()[0].strip())


@pytest.mark.parametrize("resource", sorted(CASES))
def test_get_prints_kubernetes_columns(cluster, resource):
    api_version, kind, fields, columns = CASES[resource]
    ns = "g-" + uuid.uuid4().hex[:8]
    name = "k-" + uuid.uuid4().hex[:6]
    catalog = default_catalog()
    group, _, version = api_version.rpartition("/")
    rt = next(r for r in catalog.in_group_version(group, version) if r.kind == kind)
    crd = "w" + uuid.uuid4().hex[:6]
    body = json.loads(json.dumps(fields).replace("{ns}", ns).replace("{crd}", crd))
    if kind == "CustomResourceDefinition":
        name = f"{crd}.{ns}.example.com"
    elif kind == "APIService":
        name = f"v1.{ns}.example.com"
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}, **body}
    scope: tuple[str, ...] = ()
    if rt.namespaced:
        cluster.kubectl("create", "namespace", ns)
        obj["metadata"]["namespace"] = ns
        scope = ("-n", ns)
    cluster.kubectl("create", "-f", "-", input=json.dumps(obj))
    out = cluster.kubectl("get", resource, name, *scope).stdout
    assert header(out) == columns
    listed = cluster.kubectl("get", resource, *scope).stdout
    assert header(listed) == columns
    described = cluster.kubectl("describe", resource, name, *scope).stdout
    assert re.search(rf"^Name:\s+{re.escape(name)}$", described, re.MULTILINE), described
    explained = cluster.kubectl("explain", rt.plural, f"--api-version={api_version}").stdout
    assert f"KIND:       {kind}" in explained and f"VERSION:    {version}" in explained


def test_get_componentstatuses_prints_its_columns(cluster):
    out = cluster.kubectl("get", "componentstatuses").stdout
    assert header(out) == ["NAME", "STATUS", "MESSAGE", "ERROR"]
