"""networking.k8s.io/v1: Ingress, IngressClass and NetworkPolicy."""

from __future__ import annotations

import ipaddress
from typing import Any

from kubelite.api import names
from kubelite.api.errors import forbidden, invalid, not_supported, required
from kubelite.api.validation import container as ctrs
from kubelite.api.validation.fields import Errors, as_dict, as_list, as_str, child, index, is_int
from kubelite.api.validation.meta import validate_label_selector

PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]


def _host(host: str, path: str) -> Errors:
    if "*" in host:
        rest = host[2:] if host.startswith("*.") else ""
        if not rest or names.is_dns1123_subdomain(rest):
            return [
                invalid(
                    path,
                    host,
                    "a wildcard DNS-1123 subdomain must start with '*.', followed by a "
                    "valid DNS subdomain, which must consist of lower case alphanumeric "
                    "characters, '-' or '.' and end with an alphanumeric character "
                    "(e.g. '*.example.com', regex used for validation is "
                    "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                )
            ]
        return []
    errs = [invalid(path, host, m) for m in names.is_dns1123_subdomain(host)]
    try:
        ipaddress.ip_address(host)
        errs.append(invalid(path, host, "must be a DNS name, not an IP address"))
    except ValueError:
        pass
    return errs


def _ingress_backend(backend: dict[str, Any], path: str) -> Errors:
    service, resource = backend.get("service"), backend.get("resource")
    if service is not None and resource is not None:
        return [invalid(path, "", "cannot set both resource and service backends")]
    if resource is not None:
        return [] if as_str(as_dict(resource).get("name")) else [required(child(path, "resource", "name"))]
    if service is None:
        return [invalid(path, "", "resource or service backend is required")]
    svc = as_dict(service)
    name = as_str(svc.get("name"))
    errs = [invalid(child(path, "service", "name"), name, m) for m in names.name_is_dns1035_label(name)]
    port, pp = as_dict(svc.get("port")), child(path, "service", "port")
    pname, number = as_str(port.get("name")), port.get("number")
    if pname and number:
        errs.append(invalid(pp, port, "cannot set both port name & port number"))
    elif pname:
        errs += [invalid(child(pp, "name"), pname, m) for m in names.is_valid_port_name(pname)]
    elif is_int(number) and number:
        errs += [invalid(child(pp, "number"), number, m) for m in names.is_valid_port_num(number)]
    else:
        errs.append(required(pp, "port name or number is required"))
    return errs


def _ingress_path(rule_path: dict[str, Any], path: str) -> Errors:
    kind, value = rule_path.get("pathType"), as_str(rule_path.get("path"))
    errs: Errors = []
    if not kind:
        errs.append(required(child(path, "pathType"), "pathType must be specified"))
    elif kind in ("Exact", "Prefix"):
        if not value.startswith("/"):
            errs.append(invalid(child(path, "path"), value, "must be an absolute path"))
        for bad in ("//", "/./", "/../", "%2f", "%2F"):
            if bad in value:
                errs.append(invalid(child(path, "path"), value, f"must not contain '{bad}'"))
        for bad in ("/..", "/."):
            if value.endswith(bad):
                errs.append(invalid(child(path, "path"), value, f"cannot end with '{bad}'"))
    elif kind == "ImplementationSpecific":
        if value and not value.startswith("/"):
            errs.append(invalid(child(path, "path"), value, "must be an absolute path"))
    else:
        errs.append(not_supported(child(path, "pathType"), kind, PATH_TYPES))
    return errs + _ingress_backend(as_dict(rule_path.get("backend")), child(path, "backend"))


def validate_ingress(ing: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(ing.get("spec"))
    rules = as_list(spec.get("rules"))
    errs: Errors = []
    if not rules and spec.get("defaultBackend") is None:
        errs.append(invalid("spec", rules, "either `defaultBackend` or `rules` must be specified"))
    if spec.get("defaultBackend") is not None:
        errs += _ingress_backend(as_dict(spec["defaultBackend"]), "spec.defaultBackend")
    for i, rule in enumerate(rules):
        p, rule = index("spec.rules", i), as_dict(rule)
        if rule.get("host"):
            errs += _host(as_str(rule.get("host")), child(p, "host"))
        if rule.get("http") is not None:
            paths = as_list(as_dict(rule["http"]).get("paths"))
            if not paths:
                errs.append(required(child(p, "http", "paths")))
            for j, rp in enumerate(paths):
                errs += _ingress_path(as_dict(rp), index(child(p, "http", "paths"), j))
    for i, tls in enumerate(as_list(spec.get("tls"))):
        tls = as_dict(tls)
        for j, host in enumerate(as_list(tls.get("hosts"))):
            errs += _host(as_str(host), index(child(index("spec.tls", i), "hosts"), j))
        secret = as_str(tls.get("secretName"))
        if secret:
            errs += [
                invalid(child(index("spec.tls", i), "secretName"), secret, m)
                for m in names.name_is_dns_subdomain(secret)
            ]
    cls = spec.get("ingressClassName")
    if cls is not None:
        errs += [invalid("spec.ingressClassName", cls, m) for m in names.name_is_dns_subdomain(as_str(cls))]
    return errs


def validate_ingress_class(ic: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    controller = as_str(as_dict(ic.get("spec")).get("controller"))
    if not controller:
        return [required("spec.controller")]
    errs: Errors = []
    if old is not None and controller != as_dict(old.get("spec")).get("controller"):
        errs.append(invalid("spec.controller", controller, "field is immutable"))
    return errs


def validate_network_policy(np: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(np.get("spec"))
    errs = validate_label_selector(spec.get("podSelector"), "spec.podSelector")
    for direction, peers_field in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(as_list(spec.get(direction))):
            p, rule = index(child("spec", direction), i), as_dict(rule)
            for j, port in enumerate(as_list(rule.get("ports"))):
                errs += _policy_port(as_dict(port), index(child(p, "ports"), j))
            for j, peer in enumerate(as_list(rule.get(peers_field))):
                errs += _policy_peer(as_dict(peer), index(child(p, peers_field), j))
    types = as_list(spec.get("policyTypes"))
    for i, kind in enumerate(types):
        if kind not in ("Ingress", "Egress"):
            errs.append(not_supported(index("spec.policyTypes", i), kind, ["Ingress", "Egress"]))
    if len(types) > 2:
        errs.append(invalid("spec.policyTypes", types, "may not specify more than two policyTypes"))
    return errs


def _policy_port(port: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in ctrs.PROTOCOLS:
        errs.append(not_supported(child(path, "protocol"), protocol, ctrs.PROTOCOLS))
    number, end = port.get("port"), port.get("endPort")
    if number is not None:
        errs += ctrs.validate_port_num_or_name(number, child(path, "port"))
    if end is not None:
        if not is_int(number):
            errs.append(required(child(path, "port"), "When endPort is specified, port must be specified"))
        elif is_int(end) and end < number:
            errs.append(invalid(child(path, "endPort"), end, "must be greater than or equal to `port`"))
    return errs


def _policy_peer(peer: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    count = 0
    for field in ("podSelector", "namespaceSelector"):
        if peer.get(field) is not None:
            count += 1
            errs += validate_label_selector(peer[field], child(path, field))
    block = peer.get("ipBlock")
    if block is not None:
        if count:
            errs.append(forbidden(path, "may not specify both ipBlock and another peer"))
        count += 1
        cidr = as_str(as_dict(block).get("cidr"))
        if not cidr:
            errs.append(required(child(path, "ipBlock", "cidr")))
        else:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                errs.append(
                    invalid(
                        child(path, "ipBlock", "cidr"),
                        cidr,
                        "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
                    )
                )
    if not count:
        errs.append(required(path, "must specify a peer"))
    return errs
