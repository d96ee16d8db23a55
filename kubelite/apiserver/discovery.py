"""Discovery: what the API server tells clients it serves.

Pure functions from the resource catalogue to response bodies (JSON-shaped dicts); the
HTTP layer picks one by path and `Accept` header and encodes it. Two forms exist:

- legacy, one request per level: `/api` (APIVersions), `/apis` (APIGroupList),
  `/apis/{group}` (APIGroup), `/api/v1` and `/apis/{group}/{version}` (APIResourceList).
  kopf, kr8s and the Python dynamic client use these, and kubectl's `drain` reads
  `/api/v1` directly, so they are always served;
- aggregated (`apidiscovery.k8s.io/v2`): `/api` or `/apis` answer with every resource of
  every group-version at once when the client asks for it (`wants_aggregated`) and the
  response carries `AGGREGATED_CONTENT_TYPE`. kubectl uses this form.

Shapes follow what a real 1.32 server sends (kubectl contract §1): verbs sorted,
`singularName` always present (empty for subresources), `shortNames` and `categories`
left out when empty, `group`/`version` on a subresource only when its kind lives
elsewhere (`deployments/scale` is `autoscaling/v1 Scale`), and a `storageVersionHash` on
each stored resource. Resources are listed in name order, so `pods/status` follows `pods`.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from kubelite.api.resources import ResourceCatalog, ResourceType, Subresource

AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_API_VERSION = "apidiscovery.k8s.io/v2"
_AGGREGATED_PARAMS = {"g": "apidiscovery.k8s.io", "v": "v2", "as": "APIGroupDiscoveryList"}


# --- legacy discovery --------------------------------------------------------------------


def api_versions(catalog: ResourceCatalog, server_address: str) -> dict[str, Any]:
    """`GET /api`. `server_address` is `host:port` as clients reach this server."""
    return {
        "kind": "APIVersions",
        "versions": _versions(catalog, ""),
        # Required by the Python client's models even though nothing else reads it.
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group_list(catalog: ResourceCatalog) -> dict[str, Any]:
    """`GET /apis`: every named group, in catalogue order (the core group is not one)."""
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(catalog, g) for g in _groups(catalog)],
    }


def api_group(catalog: ResourceCatalog, group: str) -> dict[str, Any] | None:
    """`GET /apis/{group}`, or None when the group is not served."""
    if not group or group not in _groups(catalog):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(catalog, group)}


def api_resource_list(catalog: ResourceCatalog, group: str, version: str) -> dict[str, Any] | None:
    """`GET /api/v1` or `/apis/{group}/{version}`, or None when not served."""
    types = catalog.in_group_version(group, version)
    if not types:
        return None
    entries: list[dict[str, Any]] = []
    for rt in types:
        entries.append(_api_resource(rt))
        entries.extend(_api_subresource(rt, sub) for sub in rt.subresources)
    entries.sort(key=lambda e: e["name"])
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": _group_version(group, version),
        "resources": entries,
    }


def _groups(catalog: ResourceCatalog) -> list[str]:
    return list(dict.fromkeys(g for g, _ in catalog.group_versions() if g))


def _versions(catalog: ResourceCatalog, group: str) -> list[str]:
    """A group's versions, preferred first (catalogue order)."""
    return [v for g, v in catalog.group_versions() if g == group]


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _group(catalog: ResourceCatalog, group: str) -> dict[str, Any]:
    versions = [{"groupVersion": _group_version(group, v), "version": v} for v in _versions(catalog, group)]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def storage_version_hash(group: str, version: str, kind: str) -> str:
    """An opaque token that changes when a resource's storage version changes: base64 of
    the first 8 bytes of SHA-256 over `group/version/kind`, as Kubernetes computes it."""
    digest = hashlib.sha256(f"{group}/{version}/{kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def _is_stored(rt: ResourceType) -> bool:
    # Resources served without a store of their own (bindings, componentstatuses) have no
    # watch, and a real server gives them no storageVersionHash.
    return "watch" in rt.verbs


def _api_resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": sorted(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    if _is_stored(rt):
        entry["storageVersionHash"] = storage_version_hash(rt.stored_group, rt.stored_version, rt.kind)
    return entry


def _api_subresource(rt: ResourceType, sub: Subresource) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": f"{rt.plural}/{sub.name}",
        "singularName": "",
        "namespaced": rt.namespaced,
    }
    if sub.group is not None or sub.version is not None:
        entry["group"] = rt.group if sub.group is None else sub.group
        entry["version"] = sub.version or rt.version
    entry["kind"] = sub.kind
    entry["verbs"] = sorted(sub.verbs)
    return entry


# --- aggregated discovery (apidiscovery.k8s.io/v2) ---------------------------------------


def aggregated_core(catalog: ResourceCatalog) -> dict[str, Any]:
    """`GET /api` in aggregated form: one item, the core group, whose name is ""."""
    items = [_discovery_group(catalog, "")] if _versions(catalog, "") else []
    return _discovery_list(items)


def aggregated_groups(catalog: ResourceCatalog) -> dict[str, Any]:
    """`GET /apis` in aggregated form: every named group, in catalogue order."""
    return _discovery_list([_discovery_group(catalog, g) for g in _groups(catalog)])


def _discovery_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": AGGREGATED_API_VERSION,
        "metadata": {},
        "items": items,
    }


def _discovery_group(catalog: ResourceCatalog, group: str) -> dict[str, Any]:
    versions = []
    for version in _versions(catalog, group):
        types = sorted(catalog.in_group_version(group, version), key=lambda t: t.plural)
        versions.append(
            {
                "version": version,
                "resources": [_discovery_resource(rt) for rt in types],
                "freshness": "Current",
            }
        )
    return {"metadata": {"name": group}, "versions": versions}


def _response_kind(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "version": version, "kind": kind}


def _discovery_resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": rt.plural,
        # Clients drop a resource or subresource that has no responseKind.
        "responseKind": _response_kind(rt.group, rt.version, rt.kind),
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular,
        "verbs": sorted(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    if rt.subresources:
        entry["subresources"] = [
            {
                "subresource": sub.name,
                "responseKind": _response_kind(
                    rt.group if sub.group is None else sub.group, sub.version or rt.version, sub.kind
                ),
                "verbs": sorted(sub.verbs),
            }
            for sub in sorted(rt.subresources, key=lambda s: s.name)
        ]
    return entry


# --- content negotiation -----------------------------------------------------------------


def _media_ranges(accept: str) -> list[tuple[float, int, str, dict[str, str]]]:
    """(q, position, type/subtype, params) for each range, lower-cased type."""
    out = []
    for position, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        params: dict[str, str] = {}
        for piece in pieces[1:]:
            key, _, value = piece.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 1.0
        out.append((q, position, pieces[0].lower(), params))
    return out


def wants_aggregated(accept_header: str | None) -> bool:
    """True when the client prefers aggregated v2 discovery over plain JSON.

    Ranges are tried by quality, then in the order given. The first one the server can
    serve decides: v2 aggregated, or plain JSON (`application/json`, `application/*`,
    `*/*`). Other aggregated versions (v2beta1) are not served, so they are skipped.
    """
    if not accept_header:
        return False
    ranges = sorted(_media_ranges(accept_header), key=lambda r: (-r[0], r[1]))
    for q, _, media_type, params in ranges:
        if q <= 0:
            continue
        if media_type == "application/json" and "g" in params:
            if all(params.get(k) == v for k, v in _AGGREGATED_PARAMS.items()):
                return True
            continue
        if media_type in ("application/json", "application/*", "*/*"):
            return False
    return False
