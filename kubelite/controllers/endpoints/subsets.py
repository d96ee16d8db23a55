"""Endpoints subsets: addresses grouped by the exact set of ports they offer (RepackSubsets).

The controller computes, per pod and Service port, one (address, port, ready) entry; the
API wants subsets where every address offers every port of its subset:

    10.0.0.1:80 ready, 10.0.0.1:443 ready, 10.0.0.2:80 not ready
      → {addresses [10.0.0.1], ports [80, 443]}, {notReadyAddresses [10.0.0.2], ports [80]}

Subsets, their addresses and their ports come out in a stable order, so comparing with
what is stored says whether anything changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from kubelite.api.types import Object

Entry = tuple[Object, Object | None, bool]  # (address, port or None for no ports, ready)


def _address_key(address: Object) -> tuple[str, str]:
    return address["ip"], (address.get("targetRef") or {}).get("uid", "")


def _port_key(port: Object) -> tuple[str, int, str]:
    return port.get("name", ""), int(port.get("port", 0)), port.get("protocol", "TCP")


def repack(entries: Iterable[Entry]) -> list[Object]:
    addresses: dict[tuple[str, str], Object] = {}
    ports: dict[str, Object] = {}
    # port (its JSON, "" for none) -> address key -> ready
    by_port: dict[str, dict[tuple[str, str], bool]] = {}
    for address, port, ready in entries:
        key = _address_key(address)
        addresses.setdefault(key, address)
        port_id = json.dumps(port, sort_keys=True) if port is not None else ""
        if port is not None:
            ports[port_id] = port
        by_port.setdefault(port_id, {})[key] = ready
    # address set (with readiness) -> the ports offered by exactly that set
    groups: dict[str, tuple[dict[tuple[str, str], bool], list[Object]]] = {}
    for port_id, members in by_port.items():
        group_id = json.dumps(sorted(members.items()))
        group = groups.setdefault(group_id, (members, []))
        if port_id:
            group[1].append(ports[port_id])
    subsets = []
    for members, group_ports in groups.values():
        subset: Object = {}
        ready_addresses = [addresses[k] for k in sorted(members) if members[k]]
        not_ready = [addresses[k] for k in sorted(members) if not members[k]]
        if ready_addresses:
            subset["addresses"] = ready_addresses
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if group_ports:
            subset["ports"] = sorted(group_ports, key=_port_key)
        subsets.append(subset)
    return sort_subsets(subsets)


def sort_subsets(subsets: list[Object]) -> list[Object]:
    """Subsets, their addresses and ports in one canonical order."""
    out = []
    for s in subsets:
        c = dict(s)
        for field in ("addresses", "notReadyAddresses"):
            if c.get(field):
                c[field] = sorted(c[field], key=_address_key)
            else:
                c.pop(field, None)
        if c.get("ports"):
            c["ports"] = sorted(c["ports"], key=_port_key)
        else:
            c.pop("ports", None)
        out.append(c)
    return sorted(out, key=lambda s: json.dumps(s, sort_keys=True))
