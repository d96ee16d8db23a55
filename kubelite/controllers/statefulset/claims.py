"""A StatefulSet's PersistentVolumeClaims and who owns them (the retention policy).

Claims are created before their pod (`<template>-<set>-<ordinal>`, event SuccessfulCreate
"create Claim data-web-0 Pod web-0 in StatefulSet web success") and are never deleted by
this controller: persistentVolumeClaimRetentionPolicy decides whether the garbage
collector may, through owner references:

    whenDeleted  whenScaled  claim of a pod in range     claim of a scaled-down pod
    Retain       Retain      no owner                    no owner
    Delete       Retain      owned by the StatefulSet    owned by the StatefulSet
    Retain       Delete      no owner                    owned by its pod
    Delete       Delete      owned by the StatefulSet    owned by its pod

so deleting the StatefulSet, or scaling it down, takes the claims with it only when asked.
"""

from __future__ import annotations

from kubelite.api.types import Object


def _ref(owner: Object, api_version: str, kind: str) -> Object:
    md = owner["metadata"]
    return {"apiVersion": api_version, "kind": kind, "name": md["name"], "uid": md["uid"]}


def wanted_owners(sts: Object, pod: Object, scaled_down: bool) -> list[Object]:
    policy = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
    when_deleted = policy.get("whenDeleted") or "Retain"
    when_scaled = policy.get("whenScaled") or "Retain"
    owners: list[Object] = []
    if when_deleted == "Delete" and not (scaled_down and when_scaled == "Delete"):
        owners.append(_ref(sts, "apps/v1", "StatefulSet"))
    if when_scaled == "Delete" and scaled_down and pod["metadata"].get("uid"):
        owners.append(_ref(pod, "v1", "Pod"))
    return owners


def with_owners(claim: Object, sts: Object, pod: Object, scaled_down: bool) -> Object | None:
    """The claim's ownerReferences as the policy wants them, or None when they already are."""
    ours = {sts["metadata"]["uid"], pod["metadata"].get("uid")}
    current = claim["metadata"].get("ownerReferences") or []
    others = [r for r in current if r.get("uid") not in ours]
    wanted = others + wanted_owners(sts, pod, scaled_down)
    if sorted(r["uid"] for r in wanted) == sorted(r.get("uid") for r in current):
        return None
    return {"metadata": {"ownerReferences": wanted}}
