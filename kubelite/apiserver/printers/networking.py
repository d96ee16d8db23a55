"""Networking resources as table rows: ingresses, ingress classes, policies, slices."""

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
    join_limited,
    load_balancer_addresses,
    name_of,
)

_NETWORKING = "io.k8s.api.networking.v1."
_SLICE = "io.k8s.api.discovery.v1.EndpointSlice"


def ingress_hosts(rules: list[dict[str, Any]]) -> str:
    """The first three hosts the rules name; `*` when none does."""
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == 3:
            more = True
            break
        if rule.get("host"):
            hosts.append(rule["host"])
    if not hosts:
        return "*"
    text = ",".join(hosts)
    # Kubernetes counts the rules left out, hostless ones included.
    return f"{text} + {len(rules) - 3} more..." if more else text


def ingress_row(obj: dict[str, Any], now: float) -> Cells:
    spec = obj.get("spec") or EMPTY
    return [
        name_of(obj),
        spec.get("ingressClassName") or "<none>",
        ingress_hosts(spec.get("rules") or []),
        ",".join(load_balancer_addresses(obj.get("status"))),
        "80, 443" if spec.get("tls") else "80",
        age(obj, now),
    ]


def ingress_class_row(obj: dict[str, Any], now: float) -> Cells:
    spec = obj.get("spec") or EMPTY
    params = spec.get("parameters")
    shown = "<none>"
    if params:
        kind = params.get("kind") or ""
        if params.get("apiGroup") is not None:
            kind += "." + params["apiGroup"]
        shown = f"{kind}/{params.get('name') or ''}"
    return [name_of(obj), spec.get("controller") or "", shown, age(obj, now)]


def network_policy_row(obj: dict[str, Any], now: float) -> Cells:
    selector = (obj.get("spec") or EMPTY).get("podSelector") or {}
    return [name_of(obj), format_selector(selector), age(obj, now)]


def _limited(items: list[str]) -> str:
    return join_limited(items, len(items)) or "<unset>"


def endpoint_slice_row(obj: dict[str, Any], now: float) -> Cells:
    ports = []
    for p in obj.get("ports") or ():
        number, name = p.get("port"), p.get("name")
        ports.append(str(number) if number is not None else name if name is not None else "*")
    addresses = [a for e in obj.get("endpoints") or () for a in e.get("addresses") or ()]
    return [name_of(obj), obj.get("addressType") or "", _limited(ports), _limited(addresses), age(obj, now)]


PRINTERS = {
    ("networking.k8s.io", "ingresses"): Printer(
        (
            NAME,
            Column(
                "Class",
                description="The name of the IngressClass resource that should be used for "
                "additional configuration",
            ),
            Column(
                "Hosts",
                description="Hosts that incoming requests are matched against before the ingress rule",
            ),
            Column(
                "Address", description="Address is a list containing ingress points for the load-balancer"
            ),
            Column("Ports", description="Ports of TLS configurations that open"),
            AGE,
        ),
        ingress_row,
    ),
    ("networking.k8s.io", "ingressclasses"): Printer(
        (
            NAME,
            Column("Controller", description="Controller that is responsible for handling this class"),
            Column("Parameters", description="A reference to a resource with additional parameters"),
            AGE,
        ),
        ingress_class_row,
    ),
    ("networking.k8s.io", "networkpolicies"): Printer(
        (
            NAME,
            Column("Pod-Selector", description=doc(_NETWORKING + "NetworkPolicySpec", "podSelector")),
            AGE,
        ),
        network_policy_row,
    ),
    ("discovery.k8s.io", "endpointslices"): Printer(
        (
            NAME,
            Column("AddressType", description=doc(_SLICE, "addressType")),
            Column("Ports", description=doc(_SLICE, "ports")),
            Column("Endpoints", description=doc(_SLICE, "endpoints")),
            AGE,
        ),
        endpoint_slice_row,
    ),
}
