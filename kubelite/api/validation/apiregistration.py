"""apiregistration.k8s.io/v1: APIService, the registration of a group-version with the
aggregation layer. kubelite serves every group itself and does not proxy to extension API
servers yet; APIServices are stored and validated (docs/compatibility.md)."""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import invalid, not_supported, required
from kubelite.api.validation.fields import Errors, as_dict, as_list, as_str, index, is_int


def validate_api_service(svc: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(svc.get("spec"))
    group, version = as_str(spec.get("group")), as_str(spec.get("version"))
    errs: Errors = []
    name = as_str(as_dict(svc.get("metadata")).get("name"))
    wanted = f"{version}.{group}"
    if name and not names.is_path_segment_name(name) and name != wanted:
        errs.append(invalid("metadata.name", name, f'must be `spec.version+"."+spec.group`: "{wanted}"'))
    if not group and version != "v1":
        errs.append(required("spec.group", "only v1 may have an empty group and it better be legacy kube"))
    if group:
        errs += [invalid("spec.group", group, m) for m in names.is_dns1123_subdomain(group)]
    errs += [invalid("spec.version", version, m) for m in names.is_dns1035_label(version)]
    group_priority, version_priority = spec.get("groupPriorityMinimum"), spec.get("versionPriority")
    if not is_int(group_priority) or not 0 < group_priority <= 20000:
        errs.append(
            invalid("spec.groupPriorityMinimum", group_priority or 0, "must be positive and less than 20000")
        )
    if not is_int(version_priority) or not 0 < version_priority <= 1000:
        errs.append(
            invalid("spec.versionPriority", version_priority or 0, "must be positive and less than 1000")
        )
    errs += _service(spec)
    for i, c in enumerate(as_list(as_dict(svc.get("status")).get("conditions"))):
        status = as_dict(c).get("status")
        if status not in ("True", "False", "Unknown"):
            errs.append(
                not_supported(index("status.conditions", i) + ".status", status, ["True", "False", "Unknown"])
            )
    return errs


def _service(spec: dict[str, Any]) -> Errors:
    service = spec.get("service")
    ca_bundle, skip_verify = spec.get("caBundle"), bool(spec.get("insecureSkipTLSVerify"))
    errs: Errors = []
    if service is None:
        if ca_bundle:
            size = len(as_str(ca_bundle)) * 3 // 4
            errs.append(
                invalid("spec.caBundle", f"{size} bytes", "local APIServices may not have a caBundle")
            )
        if skip_verify:
            errs.append(
                invalid(
                    "spec.insecureSkipTLSVerify", True, "local APIServices may not have insecureSkipTLSVerify"
                )
            )
        return errs
    service = as_dict(service)
    if not as_str(service.get("namespace")):
        errs.append(required("spec.service.namespace"))
    if not as_str(service.get("name")):
        errs.append(required("spec.service.name"))
    port = service.get("port", 443)
    if not is_int(port) or not 1 <= port <= 65535:
        errs.append(
            invalid("spec.service.port", port, "port is not valid: must be between 1 and 65535, inclusive")
        )
    if skip_verify and ca_bundle:
        errs.append(invalid("spec.insecureSkipTLSVerify", True, "may not be true if caBundle is present"))
    return errs
