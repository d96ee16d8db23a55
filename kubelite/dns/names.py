"""How a query name under a cluster zone reads, as CoreDNS's kubernetes plugin reads it.

    <service>.<namespace>.svc.<zone>                      a Service
    <endpoint>.<service>.<namespace>.svc.<zone>           one endpoint (its hostname or a-b-c-d)
    _<port>._<proto>.<service>.<namespace>.svc.<zone>     a named port (SRV)
    <a-b-c-d>.<namespace>.pod.<zone>                      a pod by its IP
    <d>.<c>.<b>.<a>.in-addr.arpa                          the reverse of an IPv4 address

A name with fewer labels (`<namespace>.svc.<zone>`, `svc.<zone>`) exists but holds no
records (NODATA); a name that fits none of these shapes does not exist (NXDOMAIN).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

SVC = "svc"
POD = "pod"
IP4_ARPA = ".in-addr.arpa."
IP6_ARPA = ".ip6.arpa."


class InvalidName(Exception):
    """The name is under the zone but fits no shape the zone serves (NXDOMAIN)."""


@dataclass(slots=True, frozen=True)
class RecordRequest:
    """The parts of a query name; empty strings for the parts the name does not have."""

    kind: str = ""  # "svc", "pod" or "" (the zone itself, or svc./pod. alone)
    namespace: str = ""
    service: str = ""  # the service name, or for a pod query the dashed IP
    endpoint: str = ""
    port: str = ""
    protocol: str = ""


def trim_zone(name: str, zone: str) -> str:
    """`name` without the trailing `zone` and dot (both lower case, fully qualified)."""
    if name == zone:
        return ""
    return name[: -len(zone) - 1]


def parse_request(name: str, zone: str) -> RecordRequest:
    """Read a lower-case, fully qualified `name` under `zone`; raises InvalidName."""
    base = trim_zone(name, zone)
    if base in ("", SVC, POD):
        return RecordRequest()
    labels = base.split(".")
    kind = labels.pop()
    if kind not in (SVC, POD):
        raise InvalidName(name)
    if not labels:
        return RecordRequest(kind)
    namespace = labels.pop()
    if not labels:
        return RecordRequest(kind, namespace)
    service = labels.pop()
    if not labels:
        return RecordRequest(kind, namespace, service)
    if len(labels) == 1:
        return RecordRequest(kind, namespace, service, endpoint=labels[0])
    if len(labels) == 2:
        return RecordRequest(
            kind, namespace, service, port=labels[0].removeprefix("_"), protocol=labels[1].removeprefix("_")
        )
    raise InvalidName(name)


def is_reverse(name: str) -> bool:
    return name.endswith(IP4_ARPA) or name.endswith(IP6_ARPA)


def address_from_reverse(name: str) -> str:
    """The address a full reverse name stands for; "" for a partial or malformed one."""
    try:
        if name.endswith(IP4_ARPA):
            octets = name[: -len(IP4_ARPA)].split(".")
            if len(octets) != 4:
                return ""
            return str(ipaddress.IPv4Address(".".join(reversed(octets))))
        if name.endswith(IP6_ARPA):
            nibbles = name[: -len(IP6_ARPA)].split(".")
            if len(nibbles) != 32:
                return ""
            digits = "".join(reversed(nibbles))
            groups = [digits[i : i + 4] for i in range(0, 32, 4)]
            return str(ipaddress.IPv6Address(":".join(groups)))
    except ValueError:
        return ""
    return ""


def pod_address(dashed: str) -> str:
    """`10-244-1-5` → `10.244.1.5`, `fd00--1` → `fd00::1`; "" when it is no address."""
    if dashed.count("-") == 3 and "--" not in dashed:
        text = dashed.replace("-", ".")
    else:
        text = dashed.replace("-", ":")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


def dashed(ip: str) -> str:
    """An endpoint's name when it has no hostname: its address with dashes."""
    if "." in ip:
        return ip.replace(".", "-")
    name = ip.replace(":", "-")
    return name + "0" if name.endswith("-") else name
