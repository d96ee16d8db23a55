"""Containers: names, images, ports, environment, mounts, resources and probes.

Called by the pod-spec validator for `containers`, `initContainers` and
`ephemeralContainers`; the rules that differ between those lists (probes in init
containers, `restartPolicy` only on init containers) are applied by the caller.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import duplicate, forbidden, invalid, not_supported, required
from kubelite.api.quantity import Quantity
from kubelite.api.validation.fields import (
    Errors,
    GoValue,
    as_dict,
    as_list,
    as_str,
    child,
    index,
    is_int,
    key,
    nonnegative,
    not_found,
    quantity_errors,
)
from kubelite.api.validation.security import (
    validate_container_security_context,
    validate_local_descending_path,
)

PROTOCOLS = ["SCTP", "TCP", "UDP"]
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"]
ENV_FIELD_PATHS = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
]
_STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_STANDARD_RESOURCES = {
    "cpu",
    "memory",
    "ephemeral-storage",
    "storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
}
_INTEGER_RESOURCES = {
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
}


# ---- resource names -----------------------------------------------------------------------


def is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def is_native_resource(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def is_extended_resource(name: str) -> bool:
    if is_native_resource(name) or name.startswith("requests."):
        return False
    return not names.is_qualified_name("requests." + name)


def overcommit_allowed(name: str) -> bool:
    return is_native_resource(name) and not is_hugepages(name)


def is_integer_resource(name: str) -> bool:
    return name in _INTEGER_RESOURCES or is_extended_resource(name)


def validate_resource_name(name: str, path: str) -> Errors:
    errs = [invalid(path, name, msg) for msg in names.is_qualified_name(name)]
    if errs:
        return errs
    if "/" not in name and name not in _STANDARD_RESOURCES and not is_hugepages(name):
        errs.append(invalid(path, name, "must be a standard resource type or fully qualified"))
    return errs


def validate_container_resource_name(name: str, path: str) -> Errors:
    errs = validate_resource_name(name, path)
    if "/" not in name:
        if name not in _STANDARD_CONTAINER_RESOURCES and not is_hugepages(name):
            errs.append(invalid(path, name, "must be a standard resource for containers"))
    elif not is_native_resource(name) and not is_extended_resource(name):
        errs.append(invalid(path, name, "doesn't follow extended resource name standard"))
    return errs


def validate_quantity_value(resource: str, q: Quantity, path: str) -> Errors:
    errs: Errors = []
    if q.sign() < 0:
        errs.append(invalid(path, str(q), "must be greater than or equal to 0"))
    if is_integer_resource(resource) and q.milli_value() % 1000:
        errs.append(invalid(path, GoValue(str(q)), "must be an integer"))
    return errs


def _quantities(resources: Any, path: str, name_fn: Any) -> tuple[dict[str, Quantity], Errors]:
    parsed: dict[str, Quantity] = {}
    errs: Errors = []
    for name, raw in as_dict(resources).items():
        p = key(path, name)
        errs += name_fn(name, p)
        q, qerrs = quantity_errors(raw, p)
        errs += qerrs
        if q is not None:
            errs += validate_quantity_value(name, q, p)
            parsed[name] = q
    return parsed, errs


def validate_resource_requirements(resources: Any, path: str) -> Errors:
    res = as_dict(resources)
    lim_path, req_path = child(path, "limits"), child(path, "requests")
    limits, errs = _quantities(res.get("limits"), lim_path, validate_container_resource_name)
    requests, req_errs = _quantities(res.get("requests"), req_path, validate_container_resource_name)
    errs += req_errs
    for name, q in requests.items():
        limit = limits.get(name)
        if limit is not None:
            if q != limit and not overcommit_allowed(name):
                errs.append(invalid(req_path, str(q), f"must be equal to {name} limit of {limit}"))
            elif q > limit:
                errs.append(
                    invalid(req_path, str(q), f"must be less than or equal to {name} limit of {limit}")
                )
        elif name not in as_dict(res.get("limits")) and not overcommit_allowed(name):
            errs.append(required(lim_path, "Limit must be set for non overcommitable resources"))
    all_names = set(limits) | set(requests)
    if any(is_hugepages(n) for n in all_names) and not all_names & {"cpu", "memory"}:
        errs.append(forbidden(path, "HugePages require cpu or memory"))
    return errs


# ---- ports and environment ----------------------------------------------------------------


def validate_protocol(protocol: Any, path: str) -> Errors:
    if not protocol:
        return [required(path)]
    if protocol not in PROTOCOLS:
        return [not_supported(path, protocol, PROTOCOLS)]
    return []


def validate_port_num_or_name(port: Any, path: str) -> Errors:
    if is_int(port):
        return [invalid(path, port, msg) for msg in names.is_valid_port_num(port)]
    if isinstance(port, str):
        return [invalid(path, port, msg) for msg in names.is_valid_port_name(port)]
    return [invalid(path, port, "must be an integer or a string")]


def validate_container_ports(ports: Any, path: str) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    for i, port in enumerate(as_list(ports)):
        p, port = index(path, i), as_dict(port)
        name = as_str(port.get("name"))
        if name:
            msgs = names.is_valid_port_name(name)
            if msgs:
                errs += [invalid(child(p, "name"), name, m) for m in msgs]
            elif name in seen:
                errs.append(duplicate(child(p, "name"), name))
            else:
                seen.add(name)
        cport = port.get("containerPort")
        if not cport:
            errs.append(required(child(p, "containerPort")))
        else:
            errs += validate_port_num_or_name(cport, child(p, "containerPort"))
        hport = port.get("hostPort")
        if is_int(hport) and hport != 0:
            errs += [invalid(child(p, "hostPort"), hport, m) for m in names.is_valid_port_num(hport)]
        errs += validate_protocol(port.get("protocol"), child(p, "protocol"))
    return errs


def validate_env(env: Any, path: str) -> Errors:
    errs: Errors = []
    for i, var in enumerate(as_list(env)):
        p, var = index(path, i), as_dict(var)
        name = as_str(var.get("name"))
        if not name:
            errs.append(required(child(p, "name")))
        else:
            errs += [invalid(child(p, "name"), name, m) for m in names.is_env_var_name(name)]
        if var.get("valueFrom") is not None:
            errs += _validate_value_from(var, child(p, "valueFrom"))
    return errs


def _validate_value_from(var: dict[str, Any], path: str) -> Errors:
    source = as_dict(var.get("valueFrom"))
    errs: Errors = []
    sources = [
        s
        for s in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")
        if source.get(s) is not None
    ]
    if "fieldRef" in sources:
        ref = as_dict(source["fieldRef"])
        fp = child(path, "fieldRef")
        if not ref.get("apiVersion"):
            errs.append(required(child(fp, "apiVersion")))
        elif not ref.get("fieldPath"):
            errs.append(required(child(fp, "fieldPath")))
        else:
            errs += _validate_field_path(as_str(ref.get("fieldPath")), fp)
    if "resourceFieldRef" in sources and not as_dict(source["resourceFieldRef"]).get("resource"):
        errs.append(required(child(path, "resourceFieldRef", "resource")))
    for kind in ("configMapKeyRef", "secretKeyRef"):
        if kind in sources:
            errs += _validate_key_selector(as_dict(source[kind]), child(path, kind))
    if not sources:
        errs.append(
            invalid(
                path,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            )
        )
    elif var.get("value"):
        errs.append(invalid(path, "", "may not be specified when `value` is not empty"))
    elif len(sources) > 1:
        errs.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errs


def _validate_field_path(field_path: str, path: str) -> Errors:
    base, _, rest = field_path.partition("[")
    if rest:
        subscript = rest.rstrip("]").strip("'")
        if base == "metadata.annotations":
            return [invalid(path, subscript, m) for m in names.is_qualified_name(subscript.lower())]
        if base == "metadata.labels":
            return [invalid(path, subscript, m) for m in names.is_qualified_name(subscript)]
        return [invalid(path, base, "does not support subscript")]
    if field_path not in ENV_FIELD_PATHS:
        return [not_supported(child(path, "fieldPath"), field_path, ENV_FIELD_PATHS)]
    return []


def _validate_key_selector(ref: dict[str, Any], path: str) -> Errors:
    name = as_str(ref.get("name"))
    errs = [invalid(child(path, "name"), name, m) for m in names.name_is_dns_subdomain(name)]
    k = as_str(ref.get("key"))
    if not k:
        errs.append(required(child(path, "key")))
    else:
        errs += [invalid(child(path, "key"), k, m) for m in names.is_config_map_key(k)]
    return errs


def validate_env_from(sources: Any, path: str) -> Errors:
    errs: Errors = []
    for i, src in enumerate(as_list(sources)):
        p, src = index(path, i), as_dict(src)
        prefix = as_str(src.get("prefix"))
        if prefix:
            errs += [invalid(child(p, "prefix"), prefix, m) for m in names.is_env_var_name(prefix)]
        refs = [r for r in ("configMapRef", "secretRef") if src.get(r) is not None]
        for r in refs:
            name = as_str(as_dict(src[r]).get("name"))
            if not name:
                errs.append(required(child(p, r, "name")))
            else:
                errs += [
                    invalid(child(p, r, "name"), name, m) for m in names.name_is_dns_subdomain(name, True)
                ]
        if not refs:
            errs.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif len(refs) > 1:
            errs.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errs


# ---- volume mounts ------------------------------------------------------------------------


def validate_volume_mounts(mounts: Any, volumes: set[str], path: str) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    for i, mount in enumerate(as_list(mounts)):
        p, mount = index(path, i), as_dict(mount)
        name, mount_path = as_str(mount.get("name")), as_str(mount.get("mountPath"))
        if not name:
            errs.append(required(child(p, "name")))
        if name not in volumes:
            errs.append(not_found(child(p, "name"), name))
        if not mount_path:
            errs.append(required(child(p, "mountPath")))
        if mount_path in seen:
            errs.append(invalid(child(p, "mountPath"), mount_path, "must be unique"))
        seen.add(mount_path)
        sub_path, sub_expr = as_str(mount.get("subPath")), as_str(mount.get("subPathExpr"))
        if sub_path:
            errs += validate_local_descending_path(sub_path, child(path, "subPath"))
        if sub_expr:
            if sub_path:
                errs.append(
                    invalid(
                        child(p, "subPathExpr"), sub_expr, "subPathExpr and subPath are mutually exclusive"
                    )
                )
            errs += validate_local_descending_path(sub_expr, child(path, "subPathExpr"))
    return errs


# ---- probes and lifecycle handlers --------------------------------------------------------

_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc", "sleep")


def validate_handler(handler: dict[str, Any], grace: Any, path: str, kinds: tuple[str, ...]) -> Errors:
    errs: Errors = []
    count = 0
    for kind in kinds:
        if handler.get(kind) is None:
            continue
        if count:
            errs.append(forbidden(child(path, kind), "may not specify more than 1 handler type"))
            continue
        count += 1
        errs += _validate_action(kind, as_dict(handler[kind]), grace, child(path, kind))
    if not count:
        errs.append(required(path, "must specify a handler type"))
    return errs


def _validate_action(kind: str, action: dict[str, Any], grace: Any, path: str) -> Errors:
    if kind == "exec":
        return [] if as_list(action.get("command")) else [required(child(path, "command"))]
    if kind == "httpGet":
        errs = [] if action.get("path") else [required(child(path, "path"))]
        errs += validate_port_num_or_name(action.get("port"), child(path, "port"))
        if action.get("scheme") not in ("HTTP", "HTTPS"):
            errs.append(not_supported(child(path, "scheme"), action.get("scheme", ""), ["HTTP", "HTTPS"]))
        for header in as_list(action.get("httpHeaders")):
            hname = as_str(as_dict(header).get("name"))
            errs += [invalid(child(path, "httpHeaders"), hname, m) for m in names.is_http_header_name(hname)]
        return errs
    if kind in ("tcpSocket", "grpc"):
        return validate_port_num_or_name(action.get("port"), child(path, "port"))
    seconds = action.get("seconds")
    if is_int(grace) and is_int(seconds) and not 0 <= seconds <= grace:
        return [
            invalid(
                path, seconds, f"must be non-negative and less than terminationGracePeriodSeconds ({grace})"
            )
        ]
    return []


def validate_probe(probe: Any, grace: Any, path: str, *, kind: str) -> Errors:
    if probe is None:
        return []
    p = as_dict(probe)
    errs = validate_handler(p, grace, path, ("exec", "httpGet", "tcpSocket", "grpc"))
    for field in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        errs += nonnegative(p.get(field), child(path, field))
    tgps = p.get("terminationGracePeriodSeconds")
    if kind == "readiness" and tgps is not None:
        errs.append(
            invalid(child(path, "terminationGracePeriodSeconds"), tgps, "must not be set for readinessProbes")
        )
    elif is_int(tgps) and tgps <= 0:
        errs.append(invalid(child(path, "terminationGracePeriodSeconds"), tgps, "must be greater than 0"))
    if kind in ("liveness", "startup") and p.get("successThreshold") != 1:
        errs.append(invalid(child(path, "successThreshold"), p.get("successThreshold"), "must be 1"))
    return errs


def validate_lifecycle(lifecycle: Any, grace: Any, path: str) -> Errors:
    errs: Errors = []
    for hook in ("postStart", "preStop"):
        if as_dict(lifecycle).get(hook) is not None:
            errs += validate_handler(
                as_dict(lifecycle[hook]), grace, child(path, hook), ("exec", "httpGet", "tcpSocket", "sleep")
            )
    return errs


# ---- one container ------------------------------------------------------------------------


def validate_container_common(ctr: dict[str, Any], volumes: set[str], path: str) -> Errors:
    """What every kind of container must satisfy."""
    errs: Errors = []
    name = as_str(ctr.get("name"))
    if not name:
        errs.append(required(child(path, "name")))
    else:
        errs += [invalid(child(path, "name"), name, m) for m in names.is_dns1123_label(name)]
    if not as_str(ctr.get("image")):
        errs.append(required(child(path, "image")))
    policy = ctr.get("terminationMessagePolicy")
    if not policy:
        errs.append(required(child(path, "terminationMessagePolicy")))
    elif policy not in TERMINATION_MESSAGE_POLICIES:
        errs.append(
            not_supported(child(path, "terminationMessagePolicy"), policy, TERMINATION_MESSAGE_POLICIES)
        )
    errs += validate_container_ports(ctr.get("ports"), child(path, "ports"))
    errs += validate_env(ctr.get("env"), child(path, "env"))
    errs += validate_env_from(ctr.get("envFrom"), child(path, "envFrom"))
    errs += validate_volume_mounts(ctr.get("volumeMounts"), volumes, child(path, "volumeMounts"))
    pull = ctr.get("imagePullPolicy")
    if not pull:
        errs.append(required(child(path, "imagePullPolicy")))
    elif pull not in PULL_POLICIES:
        errs.append(not_supported(child(path, "imagePullPolicy"), pull, PULL_POLICIES))
    errs += validate_resource_requirements(ctr.get("resources"), child(path, "resources"))
    errs += validate_container_security_context(
        as_dict(ctr.get("securityContext")), child(path, "securityContext")
    )
    return errs
