"""Per-kind rules the generic registry applies on create and update.

Kubernetes gives every kind a "strategy": what to reset on create, which part of the
object the main endpoint may change and which only `/status` may, when `generation`
moves. kubelite keeps those rules as data in this module so the registry stays generic.
"""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api.pods import qos_class
from kubelite.api.resources import ResourceType
from kubelite.apiserver import csr
from kubelite.apiserver.crd import rules as crd_rules
from kubelite.apiserver.servicetype import drop_type_dependent_fields

# Kinds whose metadata.generation starts at 1 and moves with every spec change.
GENERATION_KINDS = frozenset(
    {
        ("apps", "Deployment"),
        ("apps", "ReplicaSet"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("", "ReplicationController"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("policy", "PodDisruptionBudget"),
        ("networking.k8s.io", "Ingress"),
        ("networking.k8s.io", "NetworkPolicy"),
        ("networking.k8s.io", "IngressClass"),
        ("discovery.k8s.io", "EndpointSlice"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
    }
)

# The part of the object that counts as "spec" for the generation rule, per kind.
_SPEC_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("discovery.k8s.io", "EndpointSlice"): ("addressType", "endpoints", "ports"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): ("webhooks",),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): ("webhooks",),
}

# What the status of a newly created object starts as (the client's status is dropped).
_INITIAL_STATUS: dict[tuple[str, str], Any] = {
    ("", "Pod"): {"phase": "Pending"},
    ("", "Namespace"): {"phase": "Active"},
    ("", "PersistentVolume"): {"phase": "Pending"},
    ("", "PersistentVolumeClaim"): {"phase": "Pending"},
    ("autoscaling", "HorizontalPodAutoscaler"): {"desiredReplicas": 0},
    ("storage.k8s.io", "VolumeAttachment"): {"attached": False},
}
# Kinds whose client-supplied status survives create (the kubelet registers Nodes with theirs).
_KEEP_STATUS_ON_CREATE = frozenset({("", "Node")})


_CSR = ("certificates.k8s.io", "CertificateSigningRequest")
_CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")


def _gk(rt: ResourceType) -> tuple[str, str]:
    return (rt.group, rt.kind)


def has_generation(rt: ResourceType) -> bool:
    # Every custom resource has a generation, moved by any change outside metadata (and
    # outside status when status is a subresource).
    return rt.custom is not None or _gk(rt) in GENERATION_KINDS


def spec_of(rt: ResourceType, obj: dict[str, Any]) -> Any:
    if rt.custom is not None:
        skip = (
            ("apiVersion", "kind", "metadata", "status")
            if rt.custom.status
            else ("apiVersion", "kind", "metadata")
        )
        return {k: v for k, v in obj.items() if k not in skip}
    fields = _SPEC_FIELDS.get(_gk(rt))
    if fields is None:
        return obj.get("spec")
    return tuple(obj.get(f) for f in fields)


def prepare_for_create(rt: ResourceType, obj: dict[str, Any], requester: csr.Requester | None = None) -> None:
    """Server-set fields of a new object; `requester` is who asks (the request context)."""
    md = obj["metadata"]
    if _gk(rt) == ("batch", "Job"):
        generate_job_selector(obj)
    if _gk(rt) == ("", "Namespace"):
        # The namespace registry (not defaulting) adds the finalizer that makes deleting a
        # namespace wait until its content is gone.
        obj.setdefault("spec", {})["finalizers"] = ["kubernetes"]
    if has_generation(rt):
        md["generation"] = 1
    else:
        md.pop("generation", None)
    if rt.has_subresource("status") and _gk(rt) not in _KEEP_STATUS_ON_CREATE:
        initial = _INITIAL_STATUS.get(_gk(rt))
        if initial is not None:
            obj["status"] = copy.deepcopy(initial)
            if rt.kind == "Pod":
                obj["status"]["qosClass"] = qos_class(obj)
        else:
            obj.pop("status", None)
    elif _gk(rt) in _INITIAL_STATUS and "status" not in obj:
        obj["status"] = copy.deepcopy(_INITIAL_STATUS[_gk(rt)])
    if _gk(rt) == _CSR:
        csr.prepare_for_create(obj, requester)
    elif _gk(rt) == _CRD:
        crd_rules.prepare_for_create(obj)


def prepare_for_update(rt: ResourceType, new: dict[str, Any], old: dict[str, Any]) -> None:
    """Main-endpoint update: status is kept from the old object where /status owns it."""
    if _gk(rt) == ("", "Namespace"):
        # A namespace's spec.finalizers change only through the /finalize subresource.
        old_fin = (old.get("spec") or {}).get("finalizers")
        spec = new.setdefault("spec", {})
        if old_fin is None:
            spec.pop("finalizers", None)
        else:
            spec["finalizers"] = old_fin
    if rt.has_subresource("status"):
        if "status" in old:
            new["status"] = old["status"]
        else:
            new.pop("status", None)
    if _gk(rt) == _CSR:
        csr.prepare_for_update(new, old)
    elif _gk(rt) == ("", "Service"):
        drop_type_dependent_fields(new, old)
    elif _gk(rt) == _CRD:
        crd_rules.prepare_for_update(new, old)
    _carry_generation(rt, new, old)


def prepare_for_delete(rt: ResourceType, obj: dict[str, Any]) -> bool:
    """Kinds whose DELETE only marks them (a CRD waits for its objects to go); True when
    `obj` changed."""
    if _gk(rt) == _CRD:
        return crd_rules.mark_for_deletion(obj)
    return False


def prepare_for_subresource_update(
    rt: ResourceType, subresource: str, new: dict[str, Any], old: dict[str, Any]
) -> None:
    """An update through `/status`, `/finalize` or `/approval`: what that path may change."""
    if subresource == "status":
        prepare_for_status_update(rt, new, old)
        if _gk(rt) == _CSR:
            csr.prepare_for_status_update(new, old)
    elif subresource == "finalize":
        prepare_for_finalize(rt, new, old)
    elif subresource == "approval" and _gk(rt) == _CSR:
        csr.prepare_for_approval_update(new, old)
    elif subresource == "ephemeralcontainers":
        prepare_for_ephemeral_containers_update(new, old)
    else:
        prepare_for_update(rt, new, old)


def prepare_for_ephemeral_containers_update(new: dict[str, Any], old: dict[str, Any]) -> None:
    """`pods/{name}/ephemeralcontainers`: only spec.ephemeralContainers changes."""
    containers = (new.get("spec") or {}).get("ephemeralContainers")
    rv = new["metadata"].get("resourceVersion")
    new.clear()
    new.update(copy.deepcopy(old))
    if containers:
        new.setdefault("spec", {})["ephemeralContainers"] = containers
    else:
        new.setdefault("spec", {}).pop("ephemeralContainers", None)
    if rv is not None:
        new["metadata"]["resourceVersion"] = rv


def prepare_for_finalize(rt: ResourceType, new: dict[str, Any], old: dict[str, Any]) -> None:
    """`namespaces/{name}/finalize`: only spec.finalizers changes."""
    finalizers = (new.get("spec") or {}).get("finalizers")
    rv = new["metadata"].get("resourceVersion")
    new.clear()
    new.update(copy.deepcopy(old))
    spec = new.setdefault("spec", {})
    if finalizers:
        spec["finalizers"] = list(finalizers)
    else:
        spec.pop("finalizers", None)
    if rv is not None:
        new["metadata"]["resourceVersion"] = rv


def prepare_for_status_update(rt: ResourceType, new: dict[str, Any], old: dict[str, Any]) -> None:
    """`/status` update: status and most metadata change; spec stays as it was.

    As in Kubernetes' status strategies: the workload kinds also keep their labels, pods
    their ownerReferences; the registry keeps the server-owned metadata fields.
    """
    keep = ("status", "kind", "apiVersion", "metadata")
    for k in list(new):
        if k not in keep:
            del new[k]
    for k, v in old.items():
        if k not in keep:
            new[k] = copy.deepcopy(v)
    md, old_md = new["metadata"], old["metadata"]
    for name in _STATUS_KEEPS_METADATA.get(_gk(rt), ()):
        if name in old_md:
            md[name] = copy.deepcopy(old_md[name])
        else:
            md.pop(name, None)


# Metadata a `/status` write may not change, per kind (everything else it may).
_STATUS_KEEPS_METADATA: dict[tuple[str, str], tuple[str, ...]] = {
    ("apps", "Deployment"): ("labels",),
    ("apps", "ReplicaSet"): ("labels",),
    ("apps", "StatefulSet"): ("labels",),
    ("apps", "DaemonSet"): ("labels",),
    ("", "Pod"): ("ownerReferences",),
}


def _carry_generation(rt: ResourceType, new: dict[str, Any], old: dict[str, Any]) -> None:
    md, old_md = new["metadata"], old["metadata"]
    if not has_generation(rt):
        md.pop("generation", None)
        return
    gen = old_md.get("generation", 1)
    changed = spec_of(rt, new) != spec_of(rt, old)
    # Setting deletionTimestamp also moves generation in Kubernetes (graceful deletion).
    if changed or (md.get("deletionTimestamp") and not old_md.get("deletionTimestamp")):
        gen += 1
    md["generation"] = gen


def generate_job_selector(job: dict[str, Any]) -> None:
    """Label a Job's pods with its uid and select them by it, unless spec.manualSelector.

    Kubernetes does this so a Job never adopts another Job's pods.
    """
    spec = job.get("spec")
    if not isinstance(spec, dict) or spec.get("manualSelector") is True:
        return
    uid = job["metadata"]["uid"]
    name = job["metadata"].get("name", "")
    template = spec.setdefault("template", {})
    if not isinstance(template, dict):
        return
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    labels.update(
        {
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": uid,
            "job-name": name,
        }
    )
    spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
