"""Validation of API objects, with Kubernetes' field paths and messages.

The API server calls `validate(rt, obj, old)` after `apply_defaults(rt, obj)` and turns a
non-empty result into a 422 (`errors.invalid_object`). Every object gets its metadata
checked (name rule per kind, scope, labels, annotations, owners, finalizers); kinds in
`_VALIDATORS` then get their own rules, with `old` set on updates. Custom resources are
checked against the structural schema of their version (`kubelite.api.crd`).

    validate ─┬─ meta.validate_object_meta[_update]
              └─ _VALIDATORS[(group, kind)](obj, old)
                   core.py  storage.py  pod.py (+ container.py, volumes.py)
                   apps.py  batch.py (+ cron.py)  rbac.py  coordination.py  discovery.py
                   events.py  networking.py  policy.py  scheduling.py  storagek8s.py
                   node.py  autoscaling.py  certificates.py  admissionregistration.py
                   flowcontrol.py  apiregistration.py  reviews.py

A few kinds check an update differently by the subresource it came through (a
CertificateSigningRequest's `approval` and `status`): they are in `_SUBRESOURCE_AWARE`.

Validators never raise on malformed input: a value of the wrong JSON type reads as
empty and is reported as missing or invalid, so a bad request is a 422, not a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubelite.api import names
from kubelite.api.crd import validation as crd_validation
from kubelite.api.errors import FieldError
from kubelite.api.resources import ResourceType
from kubelite.api.validation import (
    admissionregistration,
    apiregistration,
    apps,
    autoscaling,
    batch,
    certificates,
    coordination,
    core,
    discovery,
    ephemeral,
    events,
    flowcontrol,
    networking,
    node,
    pod,
    policy,
    rbac,
    reviews,
    scheduling,
    storage,
    storagek8s,
)
from kubelite.api.validation.fields import as_dict
from kubelite.api.validation.meta import validate_object_meta, validate_object_meta_update

Validator = Callable[[dict[str, Any], "dict[str, Any] | None"], list[FieldError]]

_RBAC = rbac.GROUP
_ADMISSION = "admissionregistration.k8s.io"
_FLOWCONTROL = "flowcontrol.apiserver.k8s.io"
_AUTHZ = "authorization.k8s.io"
_AUTHN = "authentication.k8s.io"


def _pod(obj: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    # Pods validate their own metadata (create and update differ in what else they check).
    return pod.validate_pod(obj) if old is None else pod.validate_pod_update(obj, old)


def _pod_template(obj: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    return pod.validate_pod_template_spec(obj.get("template"), "template")


_VALIDATORS: dict[tuple[str, str], Validator] = {
    ("", "Pod"): _pod,
    ("", "PodTemplate"): _pod_template,
    ("", "Service"): core.validate_service,
    ("", "ConfigMap"): core.validate_config_map,
    ("", "Secret"): core.validate_secret,
    ("", "Namespace"): core.validate_namespace,
    ("", "Node"): core.validate_node,
    ("", "Endpoints"): core.validate_endpoints,
    ("", "Event"): events.validate_core_event,
    ("", "Binding"): core.validate_binding,
    ("", "ReplicationController"): core.validate_replication_controller,
    ("", "PersistentVolume"): storage.validate_persistent_volume,
    ("", "PersistentVolumeClaim"): storage.validate_persistent_volume_claim,
    ("", "ResourceQuota"): storage.validate_resource_quota,
    ("", "LimitRange"): storage.validate_limit_range,
    ("apps", "Deployment"): apps.validate_deployment,
    ("apps", "ReplicaSet"): apps.validate_replica_set,
    ("apps", "StatefulSet"): apps.validate_stateful_set,
    ("apps", "DaemonSet"): apps.validate_daemon_set,
    ("apps", "ControllerRevision"): apps.validate_controller_revision,
    ("batch", "Job"): batch.validate_job,
    ("batch", "CronJob"): batch.validate_cron_job,
    ("coordination.k8s.io", "Lease"): coordination.validate_lease,
    ("discovery.k8s.io", "EndpointSlice"): discovery.validate_endpoint_slice,
    ("events.k8s.io", "Event"): events.validate_events_event,
    ("networking.k8s.io", "Ingress"): networking.validate_ingress,
    ("networking.k8s.io", "IngressClass"): networking.validate_ingress_class,
    ("networking.k8s.io", "NetworkPolicy"): networking.validate_network_policy,
    ("policy", "PodDisruptionBudget"): policy.validate_pdb,
    ("scheduling.k8s.io", "PriorityClass"): scheduling.validate_priority_class,
    (_RBAC, "Role"): rbac.validate_role,
    (_RBAC, "ClusterRole"): rbac.validate_cluster_role,
    (_RBAC, "RoleBinding"): rbac.validate_role_binding,
    (_RBAC, "ClusterRoleBinding"): rbac.validate_cluster_role_binding,
    ("storage.k8s.io", "StorageClass"): storagek8s.validate_storage_class,
    ("storage.k8s.io", "CSIDriver"): storagek8s.validate_csi_driver,
    ("storage.k8s.io", "CSINode"): storagek8s.validate_csi_node,
    ("storage.k8s.io", "CSIStorageCapacity"): storagek8s.validate_csi_storage_capacity,
    ("storage.k8s.io", "VolumeAttachment"): storagek8s.validate_volume_attachment,
    ("node.k8s.io", "RuntimeClass"): node.validate_runtime_class,
    ("autoscaling", "HorizontalPodAutoscaler"): autoscaling.validate_hpa,
    (
        _ADMISSION,
        "MutatingWebhookConfiguration",
    ): admissionregistration.validate_mutating_webhook_configuration,
    (
        _ADMISSION,
        "ValidatingWebhookConfiguration",
    ): admissionregistration.validate_validating_webhook_configuration,
    (_ADMISSION, "ValidatingAdmissionPolicy"): admissionregistration.validate_validating_admission_policy,
    (_ADMISSION, "ValidatingAdmissionPolicyBinding"): (
        admissionregistration.validate_validating_admission_policy_binding
    ),
    (_FLOWCONTROL, "FlowSchema"): flowcontrol.validate_flow_schema,
    (_FLOWCONTROL, "PriorityLevelConfiguration"): flowcontrol.validate_priority_level,
    ("apiregistration.k8s.io", "APIService"): apiregistration.validate_api_service,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): crd_validation.validate_crd,
    (_AUTHZ, "SubjectAccessReview"): reviews.validate_subject_access_review,
    (_AUTHZ, "SelfSubjectAccessReview"): reviews.validate_self_subject_access_review,
    (_AUTHZ, "LocalSubjectAccessReview"): reviews.validate_local_subject_access_review,
}

# Validators that take the subresource an update came through as a third argument.
_SUBRESOURCE_AWARE: dict[tuple[str, str], Callable[..., list[FieldError]]] = {
    ("certificates.k8s.io", "CertificateSigningRequest"): certificates.validate_csr,
}

# Kinds whose metadata is not checked the usual way: Pods check their own; Bindings are
# requests, not stored objects; core Events accept any name (clients build them from
# the involved object's name, which may not be a DNS name).
_OWN_METADATA = {
    ("", "Pod"),
    ("", "Binding"),
    (_AUTHZ, "SubjectAccessReview"),
    (_AUTHZ, "SelfSubjectAccessReview"),
    (_AUTHZ, "LocalSubjectAccessReview"),
    (_AUTHZ, "SelfSubjectRulesReview"),
    (_AUTHN, "TokenReview"),
    (_AUTHN, "SelfSubjectReview"),
}
_GENERIC_METADATA = {("apiextensions.k8s.io", "CustomResourceDefinition")}
# CertificateSigningRequests may have any name ("we don't care what you call" them).
_ANY_NAME = {("", "Event"), ("certificates.k8s.io", "CertificateSigningRequest")}


def _any_name(name: str, prefix: bool = False) -> list[str]:
    return []


def validate(
    rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None = None, subresource: str = ""
) -> list[FieldError]:
    """All field errors of `obj` (an update when `old` is given, through `subresource` when
    that is not the main endpoint), empty when it is valid."""
    kind = (rt.group, rt.kind)
    # apiextensions validates metadata with apimachinery's generic rules (finalizer names need
    # only be qualified names), as custom resources are.
    builtin = (kind in _VALIDATORS or rt.group in ("", "apps", "batch")) and kind not in _GENERIC_METADATA
    errs: list[FieldError] = []
    try:
        if kind not in _OWN_METADATA:
            name_fn = _any_name if kind in _ANY_NAME else names.name_validator(*kind)
            if old is None:
                errs += validate_object_meta(
                    obj.get("metadata"), namespaced=rt.namespaced, name_fn=name_fn, builtin=builtin
                )
            else:
                errs += validate_object_meta_update(
                    obj.get("metadata"), as_dict(old).get("metadata"), builtin=builtin
                )
        check = _VALIDATORS.get(kind)
        if kind == ("", "Pod") and subresource == "ephemeralcontainers" and old is not None:
            check = ephemeral.validate_ephemeral_containers_update
        if check is not None:
            errs += check(obj, old)
        aware = _SUBRESOURCE_AWARE.get(kind)
        if aware is not None:
            errs += aware(obj, old, subresource)
        if rt.custom is not None:
            errs += rt.custom.validate(obj)
    except (TypeError, AttributeError, KeyError, ValueError) as err:
        # A shape no validator expected: report it instead of failing the request.
        errs.append(FieldError("", "FieldValueTypeInvalid", f"object has an unexpected structure: {err}"))
    return errs


__all__ = ["validate"]
