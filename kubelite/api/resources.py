"""The catalogue of resource types the API serves.

One `ResourceType` per (group, version, resource): its kind, scope, names, verbs,
subresources and where its objects live in storage. Discovery, OpenAPI, the REST
handlers, printers and validation all read this table; nothing else decides what is
served. The table is built explicitly in `builtin_resources()` (no registration by import
side effect); CRDs will add entries at run time through `ResourceCatalog.add`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubelite.api.crd.definition import CustomResource

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
READ_VERBS = ("get", "list", "watch")


@dataclass(slots=True, frozen=True)
class Subresource:
    name: str  # "status", "scale", "binding", ...
    kind: str  # response kind
    verbs: tuple[str, ...]
    group: str | None = None  # response group when it differs from the parent's
    version: str | None = None
    # A connect subresource (log, exec, attach, portforward, proxy): no object is read or
    # written; the request is carried on to a kubelet or a pod.
    connect: bool = False


STATUS_VERBS = ("get", "patch", "update")


@dataclass(slots=True, frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    plural: str  # "deployments"
    singular: str  # "deployment"
    kind: str  # "Deployment"
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[Subresource, ...] = ()
    # Storage key prefix (without trailing slash). Two versions of one resource share it.
    storage_prefix: str = ""
    # Which version objects are stored in (events.k8s.io/v1 Events are stored as core/v1).
    storage_version: str = ""
    storage_group: str | None = None
    # Extra field selectors beyond metadata.name / metadata.namespace.
    field_selectors: tuple[str, ...] = ()
    # Set for a version of a custom resource: its schema, columns, subresources (crd/).
    custom: CustomResource | None = None

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        return self.group_version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def key_prefix(self) -> str:
        return self.storage_prefix or f"/registry/{self.plural}"

    @property
    def stored_group(self) -> str:
        return self.group if self.storage_group is None else self.storage_group

    @property
    def stored_version(self) -> str:
        return self.storage_version or self.version

    @property
    def qualified_name(self) -> str:
        """`deployments.apps`, as error messages name a resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def has_subresource(self, name: str) -> bool:
        return any(s.name == name for s in self.subresources)

    def subresource(self, name: str) -> Subresource | None:
        for s in self.subresources:
            if s.name == name:
                return s
        return None

    def key(self, namespace: str, name: str) -> str:
        if self.namespaced:
            return f"{self.key_prefix}/{namespace}/{name}"
        return f"{self.key_prefix}/{name}"

    def list_prefix(self, namespace: str = "") -> str:
        if self.namespaced and namespace:
            return f"{self.key_prefix}/{namespace}/"
        return f"{self.key_prefix}/"


class ResourceCatalog:
    """Lookup by (group, version, plural), by kind, and by group version."""

    def __init__(self, types: Iterable[ResourceType] = ()) -> None:
        self._by_path: dict[tuple[str, str, str], ResourceType] = {}
        self._by_kind: dict[tuple[str, str, str], ResourceType] = {}
        self._order: list[ResourceType] = []
        for t in types:
            self.add(t)

    def add(self, rt: ResourceType) -> None:
        self._by_path[(rt.group, rt.version, rt.plural)] = rt
        self._by_kind[(rt.group, rt.version, rt.kind)] = rt
        self._order = [
            t for t in self._order if (t.group, t.version, t.plural) != (rt.group, rt.version, rt.plural)
        ] + [rt]

    def remove(self, group: str, version: str, plural: str) -> None:
        rt = self._by_path.pop((group, version, plural), None)
        if rt is not None:
            self._by_kind.pop((rt.group, rt.version, rt.kind), None)
            self._order.remove(rt)

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def by_kind(self, group: str, version: str, kind: str) -> ResourceType | None:
        return self._by_kind.get((group, version, kind))

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(self._order)

    def group_versions(self) -> list[tuple[str, str]]:
        """(group, version) pairs in first-seen order, core first."""
        seen: dict[tuple[str, str], None] = {}
        for t in self._order:
            seen.setdefault((t.group, t.version), None)
        return list(seen)

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [t for t in self._order if t.group == group and t.version == version]

    def storage_prefixes(self) -> dict[str, list[ResourceType]]:
        out: dict[str, list[ResourceType]] = {}
        for t in self._order:
            out.setdefault(t.key_prefix, []).append(t)
        return out


def _status(kind: str) -> Subresource:
    return Subresource("status", kind, STATUS_VERBS)


_SCALE = Subresource("scale", "Scale", STATUS_VERBS, group="autoscaling", version="v1")
PROXY_VERBS = ("create", "delete", "get", "patch", "update")


def _proxy(kind: str) -> Subresource:
    return Subresource("proxy", f"{kind}ProxyOptions", PROXY_VERBS, connect=True)


_POD_CONNECT = (
    Subresource("attach", "PodAttachOptions", ("create", "get"), connect=True),
    Subresource("exec", "PodExecOptions", ("create", "get"), connect=True),
    Subresource("log", "Pod", ("get",), connect=True),
    Subresource("portforward", "PodPortForwardOptions", ("create", "get"), connect=True),
    _proxy("Pod"),
)

_POD_FIELDS = (
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
)
_EVENT_FIELDS = (
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
)
_EVENTSV1_FIELDS = (
    "regarding.kind",
    "regarding.namespace",
    "regarding.name",
    "regarding.uid",
    "regarding.apiVersion",
    "regarding.resourceVersion",
    "regarding.fieldPath",
    "reason",
    "reportingController",
    "type",
)


def builtin_resources() -> list[ResourceType]:
    """Every built-in resource kubelite serves, in discovery order."""
    R = ResourceType
    core = [
        R("", "v1", "bindings", "binding", "Binding", True, verbs=("create",)),
        R(
            "",
            "v1",
            "componentstatuses",
            "componentstatus",
            "ComponentStatus",
            False,
            short_names=("cs",),
            verbs=("get", "list"),
        ),
        R("", "v1", "configmaps", "configmap", "ConfigMap", True, short_names=("cm",)),
        R("", "v1", "endpoints", "endpoints", "Endpoints", True, short_names=("ep",)),
        R("", "v1", "events", "event", "Event", True, short_names=("ev",), field_selectors=_EVENT_FIELDS),
        R("", "v1", "limitranges", "limitrange", "LimitRange", True, short_names=("limits",)),
        R(
            "",
            "v1",
            "namespaces",
            "namespace",
            "Namespace",
            False,
            short_names=("ns",),
            verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
            subresources=(Subresource("finalize", "Namespace", ("update",)), _status("Namespace")),
            field_selectors=("status.phase",),
        ),
        R(
            "",
            "v1",
            "nodes",
            "node",
            "Node",
            False,
            short_names=("no",),
            subresources=(_proxy("Node"), _status("Node")),
            field_selectors=("spec.unschedulable",),
        ),
        R(
            "",
            "v1",
            "persistentvolumeclaims",
            "persistentvolumeclaim",
            "PersistentVolumeClaim",
            True,
            short_names=("pvc",),
            subresources=(_status("PersistentVolumeClaim"),),
        ),
        R(
            "",
            "v1",
            "persistentvolumes",
            "persistentvolume",
            "PersistentVolume",
            False,
            short_names=("pv",),
            subresources=(_status("PersistentVolume"),),
        ),
        R(
            "",
            "v1",
            "pods",
            "pod",
            "Pod",
            True,
            short_names=("po",),
            categories=("all",),
            subresources=(
                Subresource("binding", "Binding", ("create",)),
                Subresource("eviction", "Eviction", ("create",), group="policy", version="v1"),
                Subresource("ephemeralcontainers", "Pod", ("get", "patch", "update")),
                *_POD_CONNECT,
                _status("Pod"),
            ),
            field_selectors=_POD_FIELDS,
        ),
        R("", "v1", "podtemplates", "podtemplate", "PodTemplate", True),
        R(
            "",
            "v1",
            "replicationcontrollers",
            "replicationcontroller",
            "ReplicationController",
            True,
            short_names=("rc",),
            categories=("all",),
            subresources=(_SCALE, _status("ReplicationController")),
            field_selectors=("status.replicas",),
        ),
        R(
            "",
            "v1",
            "resourcequotas",
            "resourcequota",
            "ResourceQuota",
            True,
            short_names=("quota",),
            subresources=(_status("ResourceQuota"),),
        ),
        R("", "v1", "secrets", "secret", "Secret", True, field_selectors=("type",)),
        R(
            "",
            "v1",
            "serviceaccounts",
            "serviceaccount",
            "ServiceAccount",
            True,
            short_names=("sa",),
            subresources=(
                Subresource(
                    "token", "TokenRequest", ("create",), group="authentication.k8s.io", version="v1"
                ),
            ),
        ),
        R(
            "",
            "v1",
            "services",
            "service",
            "Service",
            True,
            short_names=("svc",),
            categories=("all",),
            subresources=(_proxy("Service"), _status("Service")),
            field_selectors=("spec.clusterIP", "spec.type"),
        ),
    ]
    apps = [
        R("apps", "v1", "controllerrevisions", "controllerrevision", "ControllerRevision", True),
        R(
            "apps",
            "v1",
            "daemonsets",
            "daemonset",
            "DaemonSet",
            True,
            short_names=("ds",),
            categories=("all",),
            subresources=(_status("DaemonSet"),),
        ),
        R(
            "apps",
            "v1",
            "deployments",
            "deployment",
            "Deployment",
            True,
            short_names=("deploy",),
            categories=("all",),
            subresources=(_SCALE, _status("Deployment")),
        ),
        R(
            "apps",
            "v1",
            "replicasets",
            "replicaset",
            "ReplicaSet",
            True,
            short_names=("rs",),
            categories=("all",),
            subresources=(_SCALE, _status("ReplicaSet")),
        ),
        R(
            "apps",
            "v1",
            "statefulsets",
            "statefulset",
            "StatefulSet",
            True,
            short_names=("sts",),
            categories=("all",),
            subresources=(_SCALE, _status("StatefulSet")),
        ),
    ]
    batch = [
        R(
            "batch",
            "v1",
            "cronjobs",
            "cronjob",
            "CronJob",
            True,
            short_names=("cj",),
            categories=("all",),
            subresources=(_status("CronJob"),),
        ),
        R(
            "batch",
            "v1",
            "jobs",
            "job",
            "Job",
            True,
            categories=("all",),
            subresources=(_status("Job"),),
            field_selectors=("status.successful",),
        ),
    ]
    others = [
        R("coordination.k8s.io", "v1", "leases", "lease", "Lease", True),
        R(
            "discovery.k8s.io",
            "v1",
            "endpointslices",
            "endpointslice",
            "EndpointSlice",
            True,
            field_selectors=("addressType",),
        ),
        R(
            "events.k8s.io",
            "v1",
            "events",
            "event",
            "Event",
            True,
            short_names=("ev",),
            storage_prefix="/registry/events",
            storage_group="",
            storage_version="v1",
            field_selectors=_EVENTSV1_FIELDS,
        ),
        R("networking.k8s.io", "v1", "ingressclasses", "ingressclass", "IngressClass", False),
        R(
            "networking.k8s.io",
            "v1",
            "ingresses",
            "ingress",
            "Ingress",
            True,
            short_names=("ing",),
            subresources=(_status("Ingress"),),
        ),
        R(
            "networking.k8s.io",
            "v1",
            "networkpolicies",
            "networkpolicy",
            "NetworkPolicy",
            True,
            short_names=("netpol",),
        ),
        R(
            "policy",
            "v1",
            "poddisruptionbudgets",
            "poddisruptionbudget",
            "PodDisruptionBudget",
            True,
            short_names=("pdb",),
            subresources=(_status("PodDisruptionBudget"),),
        ),
        R(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            "clusterrolebinding",
            "ClusterRoleBinding",
            False,
        ),
        R("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", False),
        R("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", True),
        R("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", True),
        R(
            "scheduling.k8s.io",
            "v1",
            "priorityclasses",
            "priorityclass",
            "PriorityClass",
            False,
            short_names=("pc",),
        ),
    ]
    named = apps + batch + others + api_extension_resources()
    # Groups in Kubernetes' discovery order (highest priority first); a stable sort keeps
    # each group's resources, and its preferred version first.
    return core + sorted(named, key=lambda rt: (-GROUP_PRIORITY[rt.group][0], rt.group))


# group -> (group priority, version priority): the order Kubernetes' aggregator lists groups
# in (`/apis`), and the priorities of the local APIServices it registers for them.
GROUP_PRIORITY: dict[str, tuple[int, int]] = {
    "": (18000, 1),
    "apiregistration.k8s.io": (18000, 15),
    "apps": (17800, 15),
    "events.k8s.io": (17750, 15),
    "authentication.k8s.io": (17700, 15),
    "authorization.k8s.io": (17600, 15),
    "autoscaling": (17500, 15),
    "batch": (17400, 15),
    "certificates.k8s.io": (17300, 15),
    "networking.k8s.io": (17200, 15),
    "policy": (17100, 15),
    "rbac.authorization.k8s.io": (17000, 15),
    "storage.k8s.io": (16800, 15),
    "admissionregistration.k8s.io": (16700, 15),
    "apiextensions.k8s.io": (16700, 15),
    "scheduling.k8s.io": (16600, 15),
    "coordination.k8s.io": (16500, 15),
    "node.k8s.io": (16300, 15),
    "discovery.k8s.io": (16200, 15),
    "flowcontrol.apiserver.k8s.io": (16100, 21),
}


_API_EXTENSIONS = ("api-extensions",)
CREATE_ONLY = ("create",)


def api_extension_resources() -> list[ResourceType]:
    """The groups served beside the workload APIs: storage and node plumbing, autoscaling,
    certificates, admission and flow-control configuration, aggregation, custom resource
    definitions, and the review APIs (create-only: they answer, nothing is stored)."""
    R = ResourceType
    ar, fc, st = "admissionregistration.k8s.io", "flowcontrol.apiserver.k8s.io", "storage.k8s.io"
    hpa_prefix = "/registry/horizontalpodautoscalers"
    return [
        R(
            "apiregistration.k8s.io",
            "v1",
            "apiservices",
            "apiservice",
            "APIService",
            False,
            categories=_API_EXTENSIONS,
            subresources=(_status("APIService"),),
        ),
        R(
            "authentication.k8s.io",
            "v1",
            "selfsubjectreviews",
            "selfsubjectreview",
            "SelfSubjectReview",
            False,
            verbs=CREATE_ONLY,
        ),
        R(
            "authentication.k8s.io",
            "v1",
            "tokenreviews",
            "tokenreview",
            "TokenReview",
            False,
            verbs=CREATE_ONLY,
        ),
        R(
            "authorization.k8s.io",
            "v1",
            "localsubjectaccessreviews",
            "localsubjectaccessreview",
            "LocalSubjectAccessReview",
            True,
            verbs=CREATE_ONLY,
        ),
        R(
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
            "selfsubjectaccessreview",
            "SelfSubjectAccessReview",
            False,
            verbs=CREATE_ONLY,
        ),
        R(
            "authorization.k8s.io",
            "v1",
            "selfsubjectrulesreviews",
            "selfsubjectrulesreview",
            "SelfSubjectRulesReview",
            False,
            verbs=CREATE_ONLY,
        ),
        R(
            "authorization.k8s.io",
            "v1",
            "subjectaccessreviews",
            "subjectaccessreview",
            "SubjectAccessReview",
            False,
            verbs=CREATE_ONLY,
        ),
        # autoscaling/v2 first: the preferred version, and the one objects are stored in.
        R(
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            "horizontalpodautoscaler",
            "HorizontalPodAutoscaler",
            True,
            short_names=("hpa",),
            categories=("all",),
            subresources=(_status("HorizontalPodAutoscaler"),),
            storage_prefix=hpa_prefix,
        ),
        R(
            "autoscaling",
            "v1",
            "horizontalpodautoscalers",
            "horizontalpodautoscaler",
            "HorizontalPodAutoscaler",
            True,
            short_names=("hpa",),
            categories=("all",),
            subresources=(_status("HorizontalPodAutoscaler"),),
            storage_prefix=hpa_prefix,
            storage_version="v2",
        ),
        R(
            "certificates.k8s.io",
            "v1",
            "certificatesigningrequests",
            "certificatesigningrequest",
            "CertificateSigningRequest",
            False,
            short_names=("csr",),
            subresources=(
                Subresource("approval", "CertificateSigningRequest", STATUS_VERBS),
                _status("CertificateSigningRequest"),
            ),
            field_selectors=("spec.signerName",),
        ),
        R(st, "v1", "csidrivers", "csidriver", "CSIDriver", False),
        R(st, "v1", "csinodes", "csinode", "CSINode", False),
        R(st, "v1", "csistoragecapacities", "csistoragecapacity", "CSIStorageCapacity", True),
        R(st, "v1", "storageclasses", "storageclass", "StorageClass", False, short_names=("sc",)),
        R(
            st,
            "v1",
            "volumeattachments",
            "volumeattachment",
            "VolumeAttachment",
            False,
            subresources=(_status("VolumeAttachment"),),
        ),
        R(
            ar,
            "v1",
            "mutatingwebhookconfigurations",
            "mutatingwebhookconfiguration",
            "MutatingWebhookConfiguration",
            False,
            categories=_API_EXTENSIONS,
        ),
        R(
            ar,
            "v1",
            "validatingadmissionpolicies",
            "validatingadmissionpolicy",
            "ValidatingAdmissionPolicy",
            False,
            categories=_API_EXTENSIONS,
            subresources=(_status("ValidatingAdmissionPolicy"),),
        ),
        R(
            ar,
            "v1",
            "validatingadmissionpolicybindings",
            "validatingadmissionpolicybinding",
            "ValidatingAdmissionPolicyBinding",
            False,
            categories=_API_EXTENSIONS,
        ),
        R(
            ar,
            "v1",
            "validatingwebhookconfigurations",
            "validatingwebhookconfiguration",
            "ValidatingWebhookConfiguration",
            False,
            categories=_API_EXTENSIONS,
        ),
        R(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "customresourcedefinition",
            "CustomResourceDefinition",
            False,
            short_names=("crd", "crds"),
            categories=_API_EXTENSIONS,
            subresources=(_status("CustomResourceDefinition"),),
        ),
        R("node.k8s.io", "v1", "runtimeclasses", "runtimeclass", "RuntimeClass", False),
        R(fc, "v1", "flowschemas", "flowschema", "FlowSchema", False, subresources=(_status("FlowSchema"),)),
        R(
            fc,
            "v1",
            "prioritylevelconfigurations",
            "prioritylevelconfiguration",
            "PriorityLevelConfiguration",
            False,
            subresources=(_status("PriorityLevelConfiguration"),),
        ),
    ]


# Kinds whose main endpoint ignores `.status` (it is written through /status only).
def has_status_subresource(rt: ResourceType) -> bool:
    return rt.has_subresource("status")


def default_catalog() -> ResourceCatalog:
    return ResourceCatalog(builtin_resources())


@dataclass(slots=True)
class GroupInfo:
    name: str
    versions: list[str] = field(default_factory=list)
