"""storage.k8s.io/v1: StorageClass, the CSI objects (CSIDriver, CSINode, CSIStorageCapacity)
and VolumeAttachment.

These objects describe volume plugins and their state; the components that act on them
(provisioners, the attach/detach controller, CSI sidecars) are not part of kubelite yet,
so validation is all the API server does with them. Messages and paths are Kubernetes'
(including its `spec.attachedRequired` spelling of CSIDriver's `attachRequired`).
"""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import duplicate, forbidden, invalid, not_supported, required, too_long
from kubelite.api.validation.fields import (
    Errors,
    as_dict,
    as_list,
    as_str,
    child,
    immutable,
    index,
    is_int,
    quantity_errors,
)
from kubelite.api.validation.meta import validate_label_selector

RECLAIM_POLICIES = ["Delete", "Retain"]
BINDING_MODES = ["Immediate", "WaitForFirstConsumer"]
FS_GROUP_POLICIES = ["File", "None", "ReadWriteOnceWithFSType"]
LIFECYCLE_MODES = ["Ephemeral", "Persistent"]
_MAX_PARAMETERS = 512
_MAX_PARAMETERS_SIZE = 256 * (1 << 10)
_MAX_ATTACHMENT_METADATA = 256 * (1 << 10)
_MAX_ERROR_MESSAGE = 1024
_NODE_ID_MAX = 192
_MIN_TOKEN_SECONDS = 600
_MAX_TOKEN_SECONDS = 1 << 32


def _qualified(value: str, path: str) -> Errors:
    return [invalid(path, value, msg) for msg in names.is_qualified_name(value)]


# ---- StorageClass ------------------------------------------------------------------------------


def validate_storage_class(sc: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    provisioner = as_str(sc.get("provisioner"))
    errs: Errors = []
    if not provisioner:
        errs.append(required("provisioner"))
    else:
        errs += _qualified(provisioner.lower(), "provisioner")
    errs += _parameters(sc.get("parameters"))
    policy = sc.get("reclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        errs.append(not_supported("reclaimPolicy", policy, RECLAIM_POLICIES))
    mode = sc.get("volumeBindingMode")
    if not mode:
        errs.append(required("volumeBindingMode"))
    elif mode not in BINDING_MODES:
        errs.append(not_supported("volumeBindingMode", mode, BINDING_MODES))
    errs += _allowed_topologies(sc.get("allowedTopologies"), "allowedTopologies")
    if old is not None:
        if (sc.get("parameters") or {}) != (old.get("parameters") or {}):
            errs.append(forbidden("parameters", "updates to parameters are forbidden."))
        if provisioner != old.get("provisioner"):
            errs.append(forbidden("provisioner", "updates to provisioner are forbidden."))
        if policy != old.get("reclaimPolicy"):
            errs.append(forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
        errs += immutable(mode, old.get("volumeBindingMode"), "volumeBindingMode")
    return errs


def _parameters(params: Any) -> Errors:
    params = as_dict(params)
    if len(params) > _MAX_PARAMETERS:
        return [too_long("parameters", "Provisioner Parameters exceeded max allowed", _MAX_PARAMETERS)]
    errs: Errors = []
    size = 0
    for k, v in params.items():
        if not k:
            errs.append(invalid("parameters", k, "field can not be empty."))
        size += len(k) + len(as_str(v))
    if size > _MAX_PARAMETERS_SIZE:
        errs.append(too_long("parameters", "", _MAX_PARAMETERS_SIZE))
    return errs


def _allowed_topologies(terms: Any, path: str) -> Errors:
    errs: Errors = []
    for i, term in enumerate(as_list(terms)):
        exprs = as_list(as_dict(term).get("matchLabelExpressions"))
        term_path = index(path, i)
        if not exprs:
            errs.append(required(term_path, "must have at least one requirement"))
        keys: set[str] = set()
        for j, expr in enumerate(exprs):
            expr = as_dict(expr)
            expr_path = index(child(term_path, "matchLabelExpressions"), j)
            k = as_str(expr.get("key"))
            errs += _qualified(k, child(expr_path, "key"))
            if k in keys:
                errs.append(duplicate(expr_path, k))
            keys.add(k)
            if not as_list(expr.get("values")):
                errs.append(required(child(expr_path, "values"), "must specify as least one value"))
    return errs


# ---- CSIDriver ----------------------------------------------------------------------------------


def validate_csi_driver(driver: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(driver.get("spec"))
    errs: Errors = []
    for name, path in (
        ("attachRequired", "spec.attachedRequired"),
        ("podInfoOnMount", "spec.podInfoOnMount"),
        ("storageCapacity", "spec.storageCapacity"),
    ):
        if spec.get(name) is None:
            errs.append(required(path))
    policy = spec.get("fsGroupPolicy")
    if policy is not None and policy not in FS_GROUP_POLICIES:
        errs.append(not_supported("spec.fsGroupPolicy", policy, FS_GROUP_POLICIES))
    errs += _token_requests(spec.get("tokenRequests"), "spec.tokenRequests")
    for i, mode in enumerate(as_list(spec.get("volumeLifecycleModes"))):
        if mode not in LIFECYCLE_MODES:
            errs.append(not_supported(index("spec.volumeLifecycleModes", i), mode, LIFECYCLE_MODES))
    if spec.get("seLinuxMount") is None:
        errs.append(required("spec.seLinuxMount"))
    if old is not None:
        old_spec = as_dict(old.get("spec"))
        for name, path in (
            ("attachRequired", "spec.attachedRequired"),
            ("podInfoOnMount", "spec.podInfoOnMount"),
            ("volumeLifecycleModes", "spec.volumeLifecycleModes"),
        ):
            errs += immutable(spec.get(name), old_spec.get(name), path)
    return errs


def _token_requests(requests: Any, path: str) -> Errors:
    errs: Errors = []
    audiences: set[str] = set()
    for i, request in enumerate(as_list(requests)):
        request = as_dict(request)
        item = index(path, i)
        audience = as_str(request.get("audience"))
        if audience in audiences:
            errs.append(duplicate(child(item, "audience"), audience))
        audiences.add(audience)
        seconds = request.get("expirationSeconds")
        if is_int(seconds):
            if seconds < _MIN_TOKEN_SECONDS:
                errs.append(
                    invalid(
                        child(item, "expirationSeconds"),
                        seconds,
                        "may not specify a duration less than 10 minutes",
                    )
                )
            elif seconds > _MAX_TOKEN_SECONDS:
                errs.append(
                    invalid(
                        child(item, "expirationSeconds"),
                        seconds,
                        "may not specify a duration larger than 2^32 seconds",
                    )
                )
    return errs


# ---- CSINode ------------------------------------------------------------------------------------


def validate_csi_node(node: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    drivers = as_list(as_dict(node.get("spec")).get("drivers"))
    for i, driver in enumerate(drivers):
        errs += _csi_node_driver(as_dict(driver), seen, index("spec.drivers", i))
    if old is not None:
        old_drivers = {
            as_str(as_dict(d).get("name")): d for d in as_list(as_dict(old.get("spec")).get("drivers"))
        }
        for driver in drivers:
            before = old_drivers.get(as_str(as_dict(driver).get("name")))
            if before is not None and _without_allocatable(before) != _without_allocatable(driver):
                errs.append(invalid("CSINodeDriver", driver, "field is immutable"))
    return errs


def _without_allocatable(driver: Any) -> dict[str, Any]:
    return {k: v for k, v in as_dict(driver).items() if k != "allocatable"}


def _csi_node_driver(driver: dict[str, Any], seen: set[str], path: str) -> Errors:
    name = as_str(driver.get("name"))
    errs = [invalid(child(path, "name"), name, msg) for msg in names.is_dns1123_subdomain(name)]
    node_id = as_str(driver.get("nodeID"))
    if not node_id:
        errs.append(required(child(path, "nodeID"), node_id))
    elif len(node_id) > _NODE_ID_MAX:
        errs.append(invalid(child(path, "nodeID"), node_id, f"must be {_NODE_ID_MAX} characters or less"))
    count = as_dict(driver.get("allocatable")).get("count")
    if is_int(count) and count < 0:
        errs.append(invalid(child(path, "allocatable", "count"), count, "must be greater than or equal to 0"))
    if name in seen:
        errs.append(duplicate(child(path, "name"), name))
    seen.add(name)
    keys: set[str] = set()
    for key in as_list(driver.get("topologyKeys")):
        key = as_str(key)
        if not key:
            errs.append(required(path, key))
        if key in keys:
            errs.append(duplicate(path, key))
        keys.add(key)
        errs += _qualified(key, path)
    return errs


# ---- CSIStorageCapacity -------------------------------------------------------------------------


def validate_csi_storage_capacity(cap: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    errs = validate_label_selector(cap.get("nodeTopology"), "nodeTopology")
    class_name = as_str(cap.get("storageClassName"))
    errs += [invalid("storageClassName", class_name, msg) for msg in names.is_dns1123_subdomain(class_name)]
    for field in ("capacity", "maximumVolumeSize"):
        if cap.get(field) is not None:
            q, bad = quantity_errors(cap[field], field)
            errs += bad
            if q is not None and q.sign() < 0:
                errs.append(invalid(field, cap[field], "must be greater than or equal to 0"))
    if old is not None:
        if cap.get("nodeTopology") != old.get("nodeTopology"):
            errs.append(invalid("nodeTopology", cap.get("nodeTopology"), "field is immutable"))
        errs += immutable(class_name, old.get("storageClassName"), "storageClassName")
    return errs


# ---- VolumeAttachment ---------------------------------------------------------------------------


def validate_volume_attachment(va: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(va.get("spec"))
    errs: Errors = []
    attacher = as_str(spec.get("attacher"))
    if not attacher:
        errs.append(required("spec.attacher", attacher))
    else:
        errs += [invalid("spec.attacher", attacher, m) for m in names.is_dns1123_subdomain(attacher.lower())]
    source = as_dict(spec.get("source"))
    pv, inline = source.get("persistentVolumeName"), source.get("inlineVolumeSpec")
    if pv is None and inline is None:
        errs.append(
            required("spec.source", "must specify exactly one of inlineVolumeSpec and persistentVolumeName")
        )
    elif pv is not None and inline is not None:
        errs.append(
            forbidden("spec.source", "must specify exactly one of inlineVolumeSpec and persistentVolumeName")
        )
    elif pv is not None:
        if not pv:
            errs.append(
                required("spec.source.persistentVolumeName", "must specify non empty persistentVolumeName")
            )
        else:
            errs += [
                invalid("spec.source.persistentVolumeName", pv, m)
                for m in names.is_dns1123_subdomain(as_str(pv))
            ]
    node = as_str(spec.get("nodeName"))
    errs += [invalid("spec.nodeName", node, m) for m in names.is_dns1123_subdomain(node)]
    errs += _attachment_status(as_dict(va.get("status")))
    if old is not None and spec != as_dict(old.get("spec")):
        errs.append(invalid("spec", spec, "field is immutable"))
    return errs


def _attachment_status(status: dict[str, Any]) -> Errors:
    errs: Errors = []
    size = sum(len(k) + len(as_str(v)) for k, v in as_dict(status.get("attachmentMetadata")).items())
    if size > _MAX_ATTACHMENT_METADATA:
        errs.append(too_long("status.attachmentMetadata", "", _MAX_ATTACHMENT_METADATA))
    for field in ("attachError", "detachError"):
        message = as_str(as_dict(status.get(field)).get("message"))
        if len(message) > _MAX_ERROR_MESSAGE:
            errs.append(too_long(child("status", field, "message"), message, _MAX_ERROR_MESSAGE))
    return errs
