"""discovery.k8s.io/v1: EndpointSlice."""

from __future__ import annotations

import ipaddress
from typing import Any

from kubelite.api import names
from kubelite.api.errors import duplicate, invalid, not_supported, required
from kubelite.api.validation import container as ctrs
from kubelite.api.validation.fields import Errors, as_dict, as_list, as_str, child, index, is_int, too_many


def validate_endpoint_slice(eps: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    kind = eps.get("addressType")
    errs: Errors = []
    if not kind:
        errs.append(required("addressType"))
    elif kind not in ("FQDN", "IPv4", "IPv6"):
        errs.append(not_supported("addressType", kind, ["FQDN", "IPv4", "IPv6"]))
    endpoints = as_list(eps.get("endpoints"))
    if len(endpoints) > 1000:
        errs.append(too_many("endpoints", len(endpoints), 1000))
    for i, ep in enumerate(endpoints):
        errs += _slice_endpoint(as_dict(ep), kind, index("endpoints", i))
    seen: set[str] = set()
    for i, port in enumerate(as_list(eps.get("ports"))):
        p, port = index("ports", i), as_dict(port)
        name = as_str(port.get("name"))
        if name:
            errs += [invalid(child(p, "name"), name, m) for m in names.is_dns1123_label(name)]
        if name in seen:
            errs.append(duplicate(child(p, "name"), name))
        seen.add(name)
        errs += ctrs.validate_protocol(port.get("protocol"), child(p, "protocol"))
        number = port.get("port")
        if is_int(number):
            errs += [invalid(child(p, "port"), number, m) for m in names.is_valid_port_num(number)]
    return errs


def _slice_endpoint(ep: dict[str, Any], kind: Any, p: str) -> Errors:
    errs: Errors = []
    addresses = as_list(ep.get("addresses"))
    if not addresses:
        errs.append(required(child(p, "addresses"), "must contain at least 1 address"))
    elif len(addresses) > 100:
        errs.append(too_many(child(p, "addresses"), len(addresses), 100))
    for j, addr in enumerate(addresses):
        errs += _slice_address(as_str(addr), kind, index(child(p, "addresses"), j))
    for field, rule in (("nodeName", names.name_is_dns_subdomain), ("hostname", names.is_dns1123_label)):
        value = as_str(ep.get(field))
        if value:
            errs += [invalid(child(p, field), value, m) for m in rule(value)]
    return errs


def _slice_address(addr: str, kind: Any, path: str) -> Errors:
    if kind == "FQDN":
        return [invalid(path, addr, m) for m in names.is_dns1123_subdomain(addr)]
    try:
        parsed = ipaddress.ip_address(addr)
    except ValueError:
        parsed = None
    want = 4 if kind == "IPv4" else 6
    if parsed is None or parsed.version != want:
        return [invalid(path, addr, f"must be a valid IPv{want} address")]
    return []
