"""Core-group kinds other than Pod: Service, ConfigMap, Secret, Namespace, Node, Endpoints,
ReplicationController and Binding (storage and quota kinds are in storage.py).

Each `validate_<kind>(obj, old)` returns field errors; `old` is the stored object on
update and None on create. Object metadata is checked by the dispatcher before these run.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from kubelite.api import names
from kubelite.api.errors import FieldError, duplicate, forbidden, invalid, not_supported, required, too_long
from kubelite.api.validation import container as ctrs
from kubelite.api.validation.fields import (
    Errors,
    as_dict,
    as_list,
    as_str,
    child,
    go_string_map,
    index,
    is_int,
    key,
    nonnegative,
    quantity_errors,
)
from kubelite.api.validation.meta import map_selector_matches, validate_labels
from kubelite.api.validation.pod import validate_pod_template_spec

MAX_SECRET_SIZE = 1024 * 1024
SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
_IMMUTABLE_WHEN_SET = "field is immutable when `immutable` is set"


# ---- Service ------------------------------------------------------------------------------


def _is_headless(spec: dict[str, Any]) -> bool:
    ips = as_list(spec.get("clusterIPs")) or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return len(ips) == 1 and ips[0] == "None"


def validate_service(svc: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(svc.get("spec"))
    kind, ports = spec.get("type"), as_list(spec.get("ports"))
    errs: Errors = []
    if not ports and not _is_headless(spec) and kind != "ExternalName":
        errs.append(required("spec.ports"))
    errs += _service_type_rules(spec, kind)
    names_seen: set[str] = set()
    for i, port in enumerate(ports):
        errs += _service_port(as_dict(port), len(ports) > 1, names_seen, index("spec.ports", i))
    if spec.get("selector") is not None:
        errs += validate_labels(spec.get("selector"), "spec.selector")
    affinity = spec.get("sessionAffinity")
    if not affinity:
        errs.append(required("spec.sessionAffinity"))
    elif affinity not in ("ClientIP", "None"):
        errs.append(not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"]))
    if not kind:
        errs.append(required("spec.type"))
    elif kind not in SERVICE_TYPES:
        errs.append(not_supported("spec.type", kind, SERVICE_TYPES))
    errs += _node_ports(ports, kind)
    errs += _traffic_policies(spec, kind)
    if old is not None:
        errs += _service_update(spec, as_dict(old.get("spec")))
    return errs


def _service_type_rules(spec: dict[str, Any], kind: Any) -> Errors:
    if kind in ("LoadBalancer", "NodePort") and _is_headless(spec):
        return [invalid("spec.clusterIPs[0]", "None", f"may not be set to 'None' for {kind} services")]
    if kind != "ExternalName":
        return []
    errs: Errors = []
    if as_list(spec.get("clusterIPs")) or spec.get("clusterIP"):
        errs.append(forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
    if as_list(spec.get("ipFamilies")):
        errs.append(forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
    if spec.get("ipFamilyPolicy") is not None:
        errs.append(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
    cname = as_str(spec.get("externalName")).removesuffix(".")
    if not cname:
        errs.append(required("spec.externalName"))
    else:
        errs += [invalid("spec.externalName", cname, m) for m in names.is_dns1123_subdomain(cname)]
    return errs


def _service_port(port: dict[str, Any], require_name: bool, seen: set[str], path: str) -> Errors:
    errs: Errors = []
    name = as_str(port.get("name"))
    if require_name and not name:
        errs.append(required(child(path, "name")))
    elif name:
        errs += [invalid(child(path, "name"), name, m) for m in names.is_dns1123_label(name)]
        if name in seen:
            errs.append(duplicate(child(path, "name"), name))
        seen.add(name)
    number = port.get("port", 0)
    if is_int(number):
        errs += [invalid(child(path, "port"), number, m) for m in names.is_valid_port_num(number)]
    errs += ctrs.validate_protocol(port.get("protocol"), child(path, "protocol"))
    errs += ctrs.validate_port_num_or_name(port.get("targetPort", 0), child(path, "targetPort"))
    return errs


def _node_ports(ports: list[Any], kind: Any) -> Errors:
    errs: Errors = []
    seen_node: set[tuple[Any, Any]] = set()
    seen_port: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        port, path = as_dict(port), index("spec.ports", i)
        node_port = port.get("nodePort")
        if node_port:
            if kind == "ClusterIP":
                errs.append(forbidden(child(path, "nodePort"), "may not be used when `type` is 'ClusterIP'"))
            if (port.get("protocol"), node_port) in seen_node:
                errs.append(duplicate(child(path, "nodePort"), node_port))
            seen_node.add((port.get("protocol"), node_port))
        pair = (port.get("protocol"), port.get("port"))
        if pair in seen_port:
            errs.append(duplicate(path, {"port": pair[1], "protocol": pair[0]}))
        seen_port.add(pair)
    return errs


def _traffic_policies(spec: dict[str, Any], kind: Any) -> Errors:
    errs: Errors = []
    external = spec.get("externalTrafficPolicy")
    if kind in ("NodePort", "LoadBalancer"):
        if not external:
            errs.append(required("spec.externalTrafficPolicy"))
        elif external not in ("Cluster", "Local"):
            errs.append(not_supported("spec.externalTrafficPolicy", external, ["Cluster", "Local"]))
    elif external:
        errs.append(
            invalid(
                "spec.externalTrafficPolicy", external, "may only be set for externally-accessible services"
            )
        )
    internal = spec.get("internalTrafficPolicy")
    if internal is None and kind in ("ClusterIP", "NodePort", "LoadBalancer"):
        errs.append(required("spec.internalTrafficPolicy"))
    elif internal is not None and internal not in ("Cluster", "Local"):
        errs.append(not_supported("spec.internalTrafficPolicy", internal, ["Cluster", "Local"]))
    return errs


def _service_update(spec: dict[str, Any], old: dict[str, Any]) -> Errors:
    # Changing to or from ExternalName releases or allocates addresses: anything goes then.
    if "ExternalName" in (spec.get("type"), old.get("type")):
        return []
    new_ips, old_ips = as_list(spec.get("clusterIPs")), as_list(old.get("clusterIPs"))
    if not new_ips and spec.get("clusterIP"):
        new_ips = [spec["clusterIP"]]
    if not old_ips and old.get("clusterIP"):
        old_ips = [old["clusterIP"]]
    errs: Errors = []
    if new_ips and old_ips and new_ips[0] != old_ips[0]:
        errs.append(invalid("spec.clusterIPs[0]", new_ips, "may not change once set"))
    new_fam, old_fam = as_list(spec.get("ipFamilies")), as_list(old.get("ipFamilies"))
    if new_fam and old_fam and new_fam[0] != old_fam[0] and not _is_headless(spec):
        errs.append(invalid("spec.ipFamilies[0]", new_fam, "may not change once set"))
    return errs


# ---- ConfigMap and Secret -----------------------------------------------------------------


def _config_keys(data: Any, path: str) -> tuple[int, Errors]:
    errs: Errors = []
    total = 0
    for k, v in as_dict(data).items():
        errs += [invalid(key(path, k), k, m) for m in names.is_config_map_key(k)]
        total += len(v.encode()) if isinstance(v, str) else 0
    return total, errs


def validate_config_map(cm: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    total, errs = _config_keys(cm.get("data"), "data")
    for k in as_dict(cm.get("data")):
        if k in as_dict(cm.get("binaryData")):
            errs.append(invalid(key("data", k), k, "duplicate of key present in binaryData"))
    binary_total, berrs = _config_keys(cm.get("binaryData"), "binaryData")
    errs += berrs
    if total + binary_total > MAX_SECRET_SIZE:
        errs.append(too_long("", "", MAX_SECRET_SIZE))
    return errs + _immutable_data(cm, old, ("data", "binaryData"))


def _immutable_data(obj: dict[str, Any], old: dict[str, Any] | None, fields: tuple[str, ...]) -> Errors:
    if old is None or old.get("immutable") is not True:
        return []
    errs: Errors = []
    if obj.get("immutable") is not True:
        errs.append(forbidden("immutable", _IMMUTABLE_WHEN_SET))
    for field in fields:
        if as_dict(obj.get(field)) != as_dict(old.get(field)):
            errs.append(forbidden(field, _IMMUTABLE_WHEN_SET))
    return errs


_SECRET_REQUIRED_KEYS = {
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
}


def validate_secret(secret: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    errs: Errors = []
    total = 0
    data = as_dict(secret.get("data"))
    for k, v in data.items():
        errs += [invalid(key("data", k), k, m) for m in names.is_config_map_key(k)]
        try:
            total += len(base64.b64decode(v if isinstance(v, str) else "", validate=True))
        except (binascii.Error, ValueError):
            errs.append(invalid(key("data", k), "<secret contents redacted>", "illegal base64 data"))
    if total > MAX_SECRET_SIZE:
        errs.append(too_long("data", "", MAX_SECRET_SIZE))
    kind = secret.get("type", "Opaque")
    if kind == "kubernetes.io/service-account-token":
        ann = as_dict(as_dict(secret.get("metadata")).get("annotations"))
        if not ann.get("kubernetes.io/service-account.name"):
            errs.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    elif kind == "kubernetes.io/basic-auth" and "username" not in data and "password" not in data:
        errs += [required("data[username]"), required("data[password]")]
    for needed in _SECRET_REQUIRED_KEYS.get(kind, ()):
        if needed not in data:
            errs.append(required(key("data", needed)))
    if old is not None:
        if secret.get("type") != old.get("type"):
            errs.append(invalid("type", secret.get("type"), "field is immutable"))
        errs += _immutable_data(secret, old, ("data",))
    return errs


# ---- Namespace, Node, Endpoints, Binding --------------------------------------------------


def validate_namespace(ns: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    errs: Errors = []
    for f in as_list(as_dict(ns.get("spec")).get("finalizers")):
        f = as_str(f)
        errs += [invalid("spec.finalizers", f, m) for m in names.is_qualified_name(f)]
        if "/" not in f and f not in ("kubernetes", "orphan", "foregroundDeletion"):
            errs.append(
                invalid(
                    "spec.finalizers",
                    f,
                    "name is neither a standard finalizer name nor is it fully qualified",
                )
            )
    return errs


def validate_node(node: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec, status = as_dict(node.get("spec")), as_dict(node.get("status"))
    errs: Errors = []
    unique: set[tuple[str, str]] = set()
    for i, taint in enumerate(as_list(spec.get("taints"))):
        p, taint = index("metadata.taints", i), as_dict(taint)
        tkey, effect = as_str(taint.get("key")), taint.get("effect", "")
        errs += [invalid(child(p, "key"), tkey, m) for m in names.is_qualified_name(tkey)]
        msgs = names.is_label_value(as_str(taint.get("value")))
        if msgs:
            errs.append(invalid(child(p, "value"), taint.get("value"), ";".join(msgs)))
        if not effect:
            errs.append(required(child(p, "effect")))
        elif effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            errs.append(
                not_supported(child(p, "effect"), effect, ["NoSchedule", "PreferNoSchedule", "NoExecute"])
            )
        if (str(effect), tkey) in unique:
            errs.append(
                FieldError(
                    p, "FieldValueDuplicate", "taints must be unique by key and effect pair", taint, True
                )
            )
        unique.add((str(effect), tkey))
    for field in ("capacity", "allocatable"):
        for name, raw in as_dict(status.get(field)).items():
            p = child("status", field, name)
            q, qerrs = quantity_errors(raw, p)
            errs += qerrs if q is None else ctrs.validate_quantity_value(name, q, p)
    if old is not None:
        old_spec = as_dict(old.get("spec"))
        old_cidrs = as_list(old_spec.get("podCIDRs"))
        if old_cidrs and old_cidrs != as_list(spec.get("podCIDRs")):
            errs.append(
                forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid')
            )
        if old_spec.get("providerID") and old_spec.get("providerID") != spec.get("providerID"):
            errs.append(
                forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid')
            )
    return errs


def validate_endpoints(ep: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    errs: Errors = []
    for i, subset in enumerate(as_list(ep.get("subsets"))):
        p, subset = index("subsets", i), as_dict(subset)
        if not as_list(subset.get("addresses")) and not as_list(subset.get("notReadyAddresses")):
            errs.append(required(p, "must specify `addresses` or `notReadyAddresses`"))
        for field in ("addresses", "notReadyAddresses"):
            for j, addr in enumerate(as_list(subset.get(field))):
                errs += _endpoint_address(as_dict(addr), index(child(p, field), j))
        ports = as_list(subset.get("ports"))
        for j, port in enumerate(ports):
            port, pp = as_dict(port), index(child(p, "ports"), j)
            pname = as_str(port.get("name"))
            if len(ports) > 1 and not pname:
                errs.append(required(child(pp, "name")))
            elif pname:
                errs += [invalid(child(pp, "name"), pname, m) for m in names.is_dns1123_label(pname)]
            number = port.get("port", 0)
            errs += (
                [invalid(child(pp, "port"), number, m) for m in names.is_valid_port_num(number)]
                if is_int(number)
                else []
            )
            errs += ctrs.validate_protocol(port.get("protocol"), child(pp, "protocol"))
    return errs


def _endpoint_address(addr: dict[str, Any], path: str) -> Errors:
    import ipaddress

    ip = as_str(addr.get("ip"))
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return [invalid(child(path, "ip"), ip, "must be a valid IP address")]
    errs: Errors = []
    if parsed.is_unspecified:
        errs.append(invalid(child(path, "ip"), ip, f"may not be unspecified ({ip})"))
    if parsed.is_loopback:
        errs.append(invalid(child(path, "ip"), ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if parsed.is_link_local:
        errs.append(
            invalid(child(path, "ip"), ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)")
        )
    hostname = as_str(addr.get("hostname"))
    if hostname:
        errs += [invalid(child(path, "hostname"), hostname, m) for m in names.is_dns1123_label(hostname)]
    return errs


def validate_binding(binding: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    target = as_dict(binding.get("target"))
    errs: Errors = []
    if target.get("kind") and target.get("kind") != "Node":
        errs.append(not_supported("target.kind", target.get("kind"), ["Node", "<empty>"]))
    if not target.get("name"):
        errs.append(required("target.name"))
    return errs


# ---- ReplicationController and PodTemplate ------------------------------------------------


def validate_replication_controller(rc: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(rc.get("spec"))
    errs = nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    selector = as_dict(spec.get("selector"))
    if not selector:
        errs.append(required("spec.selector"))
    errs += nonnegative(spec.get("replicas"), "spec.replicas")
    template = spec.get("template")
    if template is None:
        return errs + [required("spec.template")]
    t = as_dict(template)
    labels = as_dict(t.get("metadata")).get("labels")
    if selector and not map_selector_matches(selector, labels):
        errs.append(
            invalid(
                "spec.template.metadata.labels",
                go_string_map(labels),
                "`selector` does not match template `labels`",
            )
        )
    errs += validate_pod_template_spec(t, "spec.template")
    policy = as_dict(t.get("spec")).get("restartPolicy")
    if policy != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", policy or "", ["Always"]))
    if as_dict(t.get("spec")).get("activeDeadlineSeconds") is not None:
        errs.append(
            forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                "activeDeadlineSeconds in ReplicationController is not Supported",
            )
        )
    return errs
