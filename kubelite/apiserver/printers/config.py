"""Cluster-configuration kinds as table rows: storage.k8s.io, node.k8s.io, autoscaling,
certificates, admissionregistration, flowcontrol and apiregistration."""

from __future__ import annotations

from typing import Any

from kubelite.apiserver.printers.columns import (
    AGE,
    EMPTY,
    NAME,
    Cells,
    Column,
    Printer,
    age,
    doc,
    format_selector,
    human_duration,
    name_of,
)

_STORAGE = "io.k8s.api.storage.v1."
_AUTOSCALING = "io.k8s.api.autoscaling.v2."
_CERTIFICATES = "io.k8s.api.certificates.v1."
_FLOWCONTROL = "io.k8s.api.flowcontrol.v1."
_DEFAULT_CLASS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("spec") or EMPTY


def _flag(value: Any, default: bool) -> bool:
    return default if value is None else bool(value)


# ---- storage.k8s.io ----------------------------------------------------------------------------


def storage_class_row(obj: dict[str, Any], now: float) -> Cells:
    annotations = (obj.get("metadata") or EMPTY).get("annotations") or EMPTY
    name = name_of(obj)
    if any(annotations.get(a) == "true" for a in _DEFAULT_CLASS):
        name += " (default)"
    return [
        name,
        obj.get("provisioner") or "",
        obj.get("reclaimPolicy") or "Delete",
        obj.get("volumeBindingMode") or "Immediate",
        bool(obj.get("allowVolumeExpansion")),
        age(obj, now),
    ]


def csi_driver_row(obj: dict[str, Any], now: float) -> Cells:
    spec = _spec(obj)
    requests = spec.get("tokenRequests")
    tokens = "<unset>" if requests is None else ",".join((r or EMPTY).get("audience") or "" for r in requests)
    return [
        name_of(obj),
        _flag(spec.get("attachRequired"), True),
        _flag(spec.get("podInfoOnMount"), False),
        _flag(spec.get("storageCapacity"), False),
        tokens,
        _flag(spec.get("requiresRepublish"), False),
        ",".join(spec.get("volumeLifecycleModes") or ()) or "<none>",
        age(obj, now),
    ]


def csi_node_row(obj: dict[str, Any], now: float) -> Cells:
    return [name_of(obj), len(_spec(obj).get("drivers") or ()), age(obj, now)]


def csi_storage_capacity_row(obj: dict[str, Any], now: float) -> Cells:
    capacity = obj.get("capacity")
    return [name_of(obj), obj.get("storageClassName") or "", "<unset>" if capacity is None else str(capacity)]


def volume_attachment_row(obj: dict[str, Any], now: float) -> Cells:
    spec = _spec(obj)
    return [
        name_of(obj),
        spec.get("attacher") or "",
        (spec.get("source") or EMPTY).get("persistentVolumeName") or "",
        spec.get("nodeName") or "",
        bool((obj.get("status") or EMPTY).get("attached")),
        age(obj, now),
    ]


def runtime_class_row(obj: dict[str, Any], now: float) -> Cells:
    return [name_of(obj), obj.get("handler") or "", age(obj, now)]


# ---- autoscaling -------------------------------------------------------------------------------


def _current(statuses: list[Any], i: int, field: str) -> dict[str, Any]:
    if i < len(statuses):
        return (((statuses[i] or EMPTY).get(field)) or EMPTY).get("current") or EMPTY
    return EMPTY


def _metric_text(spec: dict[str, Any], statuses: list[Any], i: int) -> str:
    kind = spec.get("type")
    field = {
        "External": "external",
        "Pods": "pods",
        "Object": "object",
        "Resource": "resource",
        "ContainerResource": "containerResource",
    }.get(str(kind))
    if field is None:
        return "<unknown type>"
    source = spec.get(field) or EMPTY
    target = source.get("target") or EMPTY
    current = _current(statuses, i, field)
    resource = field in ("resource", "containerResource")
    name = source.get("name") if resource else (source.get("metric") or EMPTY).get("name")
    if resource and target.get("averageValue") is None:
        now = current.get("averageUtilization")
        wanted = target.get("averageUtilization")
        text = f"{'<unknown>' if now is None else f'{now}%'}/{'<auto>' if wanted is None else f'{wanted}%'}"
    elif target.get("averageValue") is not None:
        average = current.get("averageValue")
        text = f"{'<unknown>' if average is None else average}/{target['averageValue']}"
        if field in ("external", "object"):
            text += " (avg)"
    else:
        value = current.get("value")
        text = f"{'<unknown>' if value is None else value}/{target.get('value')}"
    return f"{name}: {text}" if name else text


def hpa_targets(obj: dict[str, Any]) -> str:
    """`cpu: 40%/80%, memory: <unknown>/1Gi + 1 more...`: the first two metrics, current/target."""
    specs = _spec(obj).get("metrics") or []
    if not specs:
        return "<none>"
    statuses = (obj.get("status") or EMPTY).get("currentMetrics") or []
    texts = [_metric_text(s or EMPTY, statuses, i) for i, s in enumerate(specs)]
    if len(texts) > 2:
        return ", ".join(texts[:2]) + f" + {len(texts) - 2} more..."
    return ", ".join(texts)


def hpa_row(obj: dict[str, Any], now: float) -> Cells:
    spec = _spec(obj)
    ref = spec.get("scaleTargetRef") or EMPTY
    low = spec.get("minReplicas")
    return [
        name_of(obj),
        f"{ref.get('kind') or ''}/{ref.get('name') or ''}",
        hpa_targets(obj),
        "<unset>" if low is None else str(low),
        spec.get("maxReplicas") or 0,
        (obj.get("status") or EMPTY).get("currentReplicas") or 0,
        age(obj, now),
    ]


# ---- certificates.k8s.io ------------------------------------------------------------------------


def csr_condition(obj: dict[str, Any]) -> str:
    status = obj.get("status") or EMPTY
    kinds = {(c or EMPTY).get("type") for c in status.get("conditions") or ()}
    text = "Denied" if "Denied" in kinds else "Approved" if "Approved" in kinds else "Pending"
    if "Failed" in kinds:
        text += ",Failed"
    if status.get("certificate"):
        text += ",Issued"
    return text


def csr_row(obj: dict[str, Any], now: float) -> Cells:
    spec = _spec(obj)
    seconds = spec.get("expirationSeconds")
    return [
        name_of(obj),
        age(obj, now),
        spec.get("signerName") or "<none>",
        spec.get("username") or "",
        "<none>" if seconds is None else human_duration(seconds),
        csr_condition(obj),
    ]


# ---- admissionregistration.k8s.io ---------------------------------------------------------------


def webhook_configuration_row(obj: dict[str, Any], now: float) -> Cells:
    return [name_of(obj), len(obj.get("webhooks") or ()), age(obj, now)]


def admission_policy_row(obj: dict[str, Any], now: float) -> Cells:
    spec = _spec(obj)
    kind = spec.get("paramKind")
    param = "<unset>" if kind is None else f"{kind.get('apiVersion') or ''}/{kind.get('kind') or ''}"
    return [name_of(obj), len(spec.get("validations") or ()), param, age(obj, now)]


def policy_binding_row(obj: dict[str, Any], now: float) -> Cells:
    spec = _spec(obj)
    ref = spec.get("paramRef")
    param = "<unset>"
    if ref is not None:
        if ref.get("name"):
            param = f"{ref.get('namespace') or '*'}/{ref['name']}"
        elif ref.get("selector") is not None:
            param = format_selector(ref["selector"], empty="")
    return [name_of(obj), spec.get("policyName") or "", param, age(obj, now)]


# ---- flowcontrol.apiserver.k8s.io -----------------------------------------------------------------


def flow_schema_row(obj: dict[str, Any], now: float) -> Cells:
    spec = _spec(obj)
    method = spec.get("distinguisherMethod")
    dangling = next(
        (
            c.get("status") or ""
            for c in (obj.get("status") or EMPTY).get("conditions") or ()
            if c.get("type") == "Dangling"
        ),
        "?",
    )
    return [
        name_of(obj),
        (spec.get("priorityLevelConfiguration") or EMPTY).get("name") or "",
        spec.get("matchingPrecedence") or 0,
        (method or EMPTY).get("type") or "<none>",
        age(obj, now),
        dangling,
    ]


def priority_level_row(obj: dict[str, Any], now: float) -> Cells:
    spec = _spec(obj)
    limited = spec.get("limited")
    none: Any = "<none>"
    shares, queues, hand, length = none, none, none, none
    if limited is not None:
        shares = limited.get("nominalConcurrencyShares") or 0
        queuing = (limited.get("limitResponse") or EMPTY).get("queuing")
        if queuing is not None:
            queues, hand, length = (queuing.get(k) or 0 for k in ("queues", "handSize", "queueLengthLimit"))
    return [name_of(obj), spec.get("type") or "", shares, queues, hand, length, age(obj, now)]


# ---- apiregistration.k8s.io ------------------------------------------------------------------------


def api_service_row(obj: dict[str, Any], now: float) -> Cells:
    service = _spec(obj).get("service")
    where = "Local" if service is None else f"{service.get('namespace') or ''}/{service.get('name') or ''}"
    available = "Unknown"
    for c in (obj.get("status") or EMPTY).get("conditions") or ():
        if c.get("type") == "Available":
            status, reason = c.get("status") or "", c.get("reason") or ""
            available = status if status == "True" or not reason else f"{status} ({reason})"
            break
    return [name_of(obj), where, available, age(obj, now)]


_WEBHOOKS = Column(
    "Webhooks", "integer", "Webhooks indicates the number of webhooks registered in this configuration"
)
_AR = "admissionregistration.k8s.io"

PRINTERS = {
    ("storage.k8s.io", "storageclasses"): Printer(
        (
            NAME,
            Column("Provisioner", description=doc(_STORAGE + "StorageClass", "provisioner")),
            Column("ReclaimPolicy", description=doc(_STORAGE + "StorageClass", "reclaimPolicy")),
            Column("VolumeBindingMode", description=doc(_STORAGE + "StorageClass", "volumeBindingMode")),
            Column(
                "AllowVolumeExpansion", description=doc(_STORAGE + "StorageClass", "allowVolumeExpansion")
            ),
            AGE,
        ),
        storage_class_row,
    ),
    ("storage.k8s.io", "csidrivers"): Printer(
        (
            NAME,
            Column("AttachRequired", "boolean", doc(_STORAGE + "CSIDriverSpec", "attachRequired")),
            Column("PodInfoOnMount", "boolean", doc(_STORAGE + "CSIDriverSpec", "podInfoOnMount")),
            Column("StorageCapacity", "boolean", doc(_STORAGE + "CSIDriverSpec", "storageCapacity")),
            Column("TokenRequests", description=doc(_STORAGE + "CSIDriverSpec", "tokenRequests")),
            Column("RequiresRepublish", "boolean", doc(_STORAGE + "CSIDriverSpec", "requiresRepublish")),
            Column("Modes", description=doc(_STORAGE + "CSIDriverSpec", "volumeLifecycleModes")),
            AGE,
        ),
        csi_driver_row,
    ),
    ("storage.k8s.io", "csinodes"): Printer(
        (
            NAME,
            Column(
                "Drivers", "integer", "Drivers indicates the number of CSI drivers registered on the node"
            ),
            AGE,
        ),
        csi_node_row,
    ),
    ("storage.k8s.io", "csistoragecapacities"): Printer(
        (
            NAME,
            Column("StorageClassName", description=doc(_STORAGE + "CSIStorageCapacity", "storageClassName")),
            Column("Capacity", description=doc(_STORAGE + "CSIStorageCapacity", "capacity")),
        ),
        csi_storage_capacity_row,
    ),
    ("storage.k8s.io", "volumeattachments"): Printer(
        (
            NAME,
            Column("Attacher", format="name", description=doc(_STORAGE + "VolumeAttachmentSpec", "attacher")),
            Column("PV", description=doc(_STORAGE + "VolumeAttachmentSource", "persistentVolumeName")),
            Column("Node", description=doc(_STORAGE + "VolumeAttachmentSpec", "nodeName")),
            Column("Attached", "boolean", doc(_STORAGE + "VolumeAttachmentStatus", "attached")),
            AGE,
        ),
        volume_attachment_row,
    ),
    # Kubernetes documents this column with ObjectMeta's (non-existent) `handler` field: empty.
    ("node.k8s.io", "runtimeclasses"): Printer(
        (NAME, Column("Handler", description=""), AGE), runtime_class_row
    ),
    ("autoscaling", "horizontalpodautoscalers"): Printer(
        (
            NAME,
            Column(
                "Reference", description=doc(_AUTOSCALING + "HorizontalPodAutoscalerSpec", "scaleTargetRef")
            ),
            Column("Targets", description=doc(_AUTOSCALING + "HorizontalPodAutoscalerSpec", "metrics")),
            Column("MinPods", description=doc(_AUTOSCALING + "HorizontalPodAutoscalerSpec", "minReplicas")),
            Column("MaxPods", description=doc(_AUTOSCALING + "HorizontalPodAutoscalerSpec", "maxReplicas")),
            Column(
                "Replicas", description=doc(_AUTOSCALING + "HorizontalPodAutoscalerStatus", "currentReplicas")
            ),
            AGE,
        ),
        hpa_row,
    ),
    ("certificates.k8s.io", "certificatesigningrequests"): Printer(
        (
            NAME,
            AGE,
            Column(
                "SignerName", description=doc(_CERTIFICATES + "CertificateSigningRequestSpec", "signerName")
            ),
            Column("Requestor", description=doc(_CERTIFICATES + "CertificateSigningRequestSpec", "request")),
            Column(
                "RequestedDuration",
                description=doc(_CERTIFICATES + "CertificateSigningRequestSpec", "expirationSeconds"),
            ),
            Column(
                "Condition", description=doc(_CERTIFICATES + "CertificateSigningRequestStatus", "conditions")
            ),
        ),
        csr_row,
    ),
    (_AR, "mutatingwebhookconfigurations"): Printer((NAME, _WEBHOOKS, AGE), webhook_configuration_row),
    (_AR, "validatingwebhookconfigurations"): Printer((NAME, _WEBHOOKS, AGE), webhook_configuration_row),
    (_AR, "validatingadmissionpolicies"): Printer(
        (
            NAME,
            Column(
                "Validations",
                "integer",
                "Validations indicates the number of validation rules defined in this configuration",
            ),
            Column(
                "ParamKind",
                description="ParamKind specifies the kind of resources used to parameterize this policy",
            ),
            AGE,
        ),
        admission_policy_row,
    ),
    (_AR, "validatingadmissionpolicybindings"): Printer(
        (
            NAME,
            Column(
                "PolicyName",
                description="PolicyName indicates the policy definition which the policy binding binded to",
            ),
            Column(
                "ParamRef",
                description="ParamRef indicates the param resource which sets the configration param",
            ),
            AGE,
        ),
        policy_binding_row,
    ),
    ("flowcontrol.apiserver.k8s.io", "flowschemas"): Printer(
        (
            NAME,
            Column(
                "PriorityLevel", description=doc(_FLOWCONTROL + "PriorityLevelConfigurationReference", "name")
            ),
            Column(
                "MatchingPrecedence", description=doc(_FLOWCONTROL + "FlowSchemaSpec", "matchingPrecedence")
            ),
            Column(
                "DistinguisherMethod", description=doc(_FLOWCONTROL + "FlowSchemaSpec", "distinguisherMethod")
            ),
            AGE,
            Column("MissingPL", description="references a broken or non-existent PriorityLevelConfiguration"),
        ),
        flow_schema_row,
    ),
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"): Printer(
        (
            NAME,
            Column("Type", description=doc(_FLOWCONTROL + "PriorityLevelConfigurationSpec", "type")),
            Column(
                "NominalConcurrencyShares",
                description=doc(
                    _FLOWCONTROL + "LimitedPriorityLevelConfiguration", "nominalConcurrencyShares"
                ),
            ),
            Column("Queues", description=doc(_FLOWCONTROL + "QueuingConfiguration", "queues")),
            Column("HandSize", description=doc(_FLOWCONTROL + "QueuingConfiguration", "handSize")),
            Column(
                "QueueLengthLimit", description=doc(_FLOWCONTROL + "QueuingConfiguration", "queueLengthLimit")
            ),
            AGE,
        ),
        priority_level_row,
    ),
    ("apiregistration.k8s.io", "apiservices"): Printer(
        (
            NAME,
            Column("Service", description="The reference to the service that hosts this API endpoint."),
            Column("Available", description="Whether this service is available."),
            AGE,
        ),
        api_service_row,
    ),
}
