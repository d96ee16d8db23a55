"""Pod volumes: unique DNS-label names and exactly one source each.

The sources kubelite's kubelet mounts (emptyDir, hostPath, configMap, secret,
persistentVolumeClaim, downwardAPI, projected) get their field rules; the others are
only counted, so a pod naming two sources is still refused as Kubernetes refuses it.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import duplicate, forbidden, invalid, not_supported, required
from kubelite.api.validation.fields import (
    Errors,
    as_dict,
    as_list,
    as_str,
    child,
    index,
    is_int,
    parse_quantity,
)
from kubelite.api.validation.security import validate_local_descending_path

# Kubernetes checks the sources in this order; the second one found is the one refused.
VOLUME_SOURCES = (
    "emptyDir",
    "hostPath",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flocker",
    "persistentVolumeClaim",
    "rbd",
    "cinder",
    "cephfs",
    "quobyte",
    "downwardAPI",
    "fc",
    "flexVolume",
    "configMap",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "portworxVolume",
    "azureDisk",
    "storageos",
    "projected",
    "scaleIO",
    "csi",
    "ephemeral",
    "image",
)
HOST_PATH_TYPES = [
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
]
FILE_MODE_MSG = "must be a number between 0 and 0777 (octal), both inclusive"
_VOLUME_FIELD_PATHS = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
]


def validate_volumes(volumes: Any, path: str) -> tuple[set[str], Errors]:
    """Validate `spec.volumes`; returns the names that mounts may refer to."""
    errs: Errors = []
    good: set[str] = set()
    for i, vol in enumerate(as_list(volumes)):
        p, vol = index(path, i), as_dict(vol)
        name = as_str(vol.get("name"))
        verrs = _validate_source(vol, p)
        if not name:
            verrs.append(required(child(p, "name")))
        else:
            verrs += [invalid(child(p, "name"), name, m) for m in names.is_dns1123_label(name)]
        if name in good:
            verrs.append(duplicate(child(p, "name"), name))
        if verrs:
            errs += verrs
        else:
            good.add(name)
    return good, errs


def _validate_source(vol: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    count = 0
    for source in VOLUME_SOURCES:
        if vol.get(source) is None:
            continue
        if count:
            errs.append(forbidden(child(path, source), "may not specify more than 1 volume type"))
            continue
        count += 1
        check = _SOURCE_CHECKS.get(source)
        if check is not None:
            errs += check(as_dict(vol[source]), child(path, source))
    if not count:
        errs.append(required(path, "must specify a volume type"))
    return errs


def _file_mode(value: Any, path: str) -> Errors:
    if is_int(value) and not 0 <= value <= 0o777:
        return [invalid(path, value, FILE_MODE_MSG)]
    return []


def _key_to_path(items: Any, path: str) -> Errors:
    errs: Errors = []
    for i, item in enumerate(as_list(items)):
        p, item = index(path, i), as_dict(item)
        if not as_str(item.get("key")):
            errs.append(required(child(p, "key")))
        target = as_str(item.get("path"))
        if not target:
            errs.append(required(child(p, "path")))
        errs += _local_non_reserved_path(target, child(p, "path"))
        errs += _file_mode(item.get("mode"), child(p, "mode"))
    return errs


def _local_non_reserved_path(value: str, path: str) -> Errors:
    errs = validate_local_descending_path(value, path)
    if value.startswith(".."):
        errs.append(invalid(path, value, "must not start with '..'"))
    return errs


def _empty_dir(src: dict[str, Any], path: str) -> Errors:
    limit = src.get("sizeLimit")
    if limit is not None:
        q = parse_quantity(limit)
        if q is None or q.sign() < 0:
            return [forbidden(child(path, "sizeLimit"), "SizeLimit field must be a valid resource quantity")]
    medium = src.get("medium", "")
    if medium not in ("", "Memory") and not str(medium).startswith("HugePages"):
        return [not_supported(child(path, "medium"), medium, ["", "HugePages", "Memory"])]
    return []


def _host_path(src: dict[str, Any], path: str) -> Errors:
    target = as_str(src.get("path"))
    if not target:
        return [required(child(path, "path"))]
    errs: Errors = []
    if ".." in target.split("/"):
        errs.append(invalid(child(path, "path"), target, "must not contain '..'"))
    kind = src.get("type", "")
    if kind not in HOST_PATH_TYPES:
        errs.append(not_supported(child(path, "type"), kind, HOST_PATH_TYPES))
    return errs


def _secret(src: dict[str, Any], path: str) -> Errors:
    errs = [] if as_str(src.get("secretName")) else [required(child(path, "secretName"))]
    errs += _file_mode(src.get("defaultMode"), child(path, "defaultMode"))
    return errs + _key_to_path(src.get("items"), child(path, "items"))


def _config_map(src: dict[str, Any], path: str) -> Errors:
    errs = [] if as_str(src.get("name")) else [required(child(path, "name"))]
    errs += _file_mode(src.get("defaultMode"), child(path, "defaultMode"))
    return errs + _key_to_path(src.get("items"), child(path, "items"))


def _pvc(src: dict[str, Any], path: str) -> Errors:
    return [] if as_str(src.get("claimName")) else [required(child(path, "claimName"))]


def _downward_api(src: dict[str, Any], path: str) -> Errors:
    errs = _file_mode(src.get("defaultMode"), child(path, "defaultMode"))
    for item in as_list(src.get("items")):
        item = as_dict(item)
        target = as_str(item.get("path"))
        if not target:
            errs.append(required(child(path, "path")))
        errs += _local_non_reserved_path(target, child(path, "path"))
        if item.get("fieldRef") is not None:
            field_path = as_str(as_dict(item["fieldRef"]).get("fieldPath"))
            base = field_path.partition("[")[0]
            if base not in _VOLUME_FIELD_PATHS:
                errs.append(
                    not_supported(child(path, "fieldRef", "fieldPath"), field_path, _VOLUME_FIELD_PATHS)
                )
            if item.get("resourceFieldRef") is not None:
                errs.append(
                    invalid(
                        path, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"
                    )
                )
        elif item.get("resourceFieldRef") is None:
            errs.append(required(path, "one of fieldRef and resourceFieldRef is required"))
        errs += _file_mode(item.get("mode"), child(path, "mode"))
    return errs


def _projected(src: dict[str, Any], path: str) -> Errors:
    errs = _file_mode(src.get("defaultMode"), child(path, "defaultMode"))
    for i, source in enumerate(as_list(src.get("sources"))):
        p, source = index(child(path, "sources"), i), as_dict(source)
        kinds = [
            k
            for k in ("secret", "configMap", "downwardAPI", "serviceAccountToken", "clusterTrustBundle")
            if source.get(k) is not None
        ]
        for kind in kinds[1:]:
            errs.append(forbidden(child(p, kind), "may not specify more than 1 volume type per source"))
        for kind in ("secret", "configMap"):
            if kind in kinds:
                ref = as_dict(source[kind])
                if not as_str(ref.get("name")):
                    errs.append(required(child(p, kind, "name")))
                errs += _key_to_path(ref.get("items"), child(p, kind, "items"))
        if "serviceAccountToken" in kinds:
            token = as_dict(source["serviceAccountToken"])
            expiry = token.get("expirationSeconds")
            if is_int(expiry) and expiry < 600:
                errs.append(
                    invalid(
                        child(p, "serviceAccountToken", "expirationSeconds"),
                        expiry,
                        "may not specify a duration less than 10 minutes",
                    )
                )
            if not as_str(token.get("path")):
                errs.append(required(child(p, "serviceAccountToken", "path")))
    return errs


def _nfs(src: dict[str, Any], path: str) -> Errors:
    errs = [] if as_str(src.get("server")) else [required(child(path, "server"))]
    target = as_str(src.get("path"))
    if not target:
        errs.append(required(child(path, "path")))
    if not target.startswith("/"):
        errs.append(invalid(child(path, "path"), target, "must be an absolute path"))
    return errs


def _csi(src: dict[str, Any], path: str) -> Errors:
    return [] if as_str(src.get("driver")) else [required(child(path, "driver"))]


def _ephemeral(src: dict[str, Any], path: str) -> Errors:
    if src.get("volumeClaimTemplate") is None:
        return [required(child(path, "volumeClaimTemplate"))]
    return []


_SOURCE_CHECKS = {
    "emptyDir": _empty_dir,
    "hostPath": _host_path,
    "secret": _secret,
    "configMap": _config_map,
    "persistentVolumeClaim": _pvc,
    "downwardAPI": _downward_api,
    "projected": _projected,
    "nfs": _nfs,
    "csi": _csi,
    "ephemeral": _ephemeral,
}
