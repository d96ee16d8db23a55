"""ControllerRevisions: the history of a DaemonSet's or StatefulSet's pod template.

Each distinct template a workload has had is kept as a ControllerRevision named
`<owner>-<hash>`, controlled by the owner, labelled like its pods plus
`controller-revision-hash: <hash>`, with a `revision` number (the newest is the highest)
and as `data` the strategic merge patch that puts the template back (keys sorted, as Go
writes them, since clients compare it byte for byte with the patch they compute):

    data: {"spec": {"template": {<the pod template>, "$patch": "replace"}}}

which is what `kubectl rollout undo daemonset|statefulset` sends to roll back and what
`kubectl rollout history` lists. The hash is the pod-template-hash of the template with
the owner's collisionCount: when another revision already holds the name with other
data, the count goes up and the next sync tries a new name.

`sync_history` finds the revision matching the current template (the newest of several
equal ones; the others are deleted), creates it when there is none, and makes it the
newest; `truncate` deletes old revisions no live pod uses beyond revisionHistoryLimit,
oldest first.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.resource import ResourceClient
from kubelite.controllers.deployment.util import template_hash
from kubelite.controllers.ownership import new_controller_ref

REVISION_HASH_LABEL = "controller-revision-hash"


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def revision_data(owner: Object) -> Object:
    """The patch, its keys sorted at every level: Kubernetes' clients compare a revision's
    data byte for byte with the patch they compute (Go writes map keys sorted)."""
    template = copy.deepcopy((owner.get("spec") or {}).get("template") or {})
    template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    template["$patch"] = "replace"
    return {"spec": {"template": _sorted(template)}}


def revision_number(rev: Object) -> int:
    return int(rev.get("revision") or 0)


def by_revision(revs: list[Object]) -> list[Object]:
    return sorted(revs, key=lambda r: (revision_number(r), r["metadata"].get("creationTimestamp", "")))


def revision_hash(rev: Object) -> str:
    return str((rev["metadata"].get("labels") or {}).get(REVISION_HASH_LABEL, ""))


def new_revision(owner: Object, kind: str, revision: int, collision_count: int | None) -> Object:
    template = (owner.get("spec") or {}).get("template") or {}
    digest = template_hash(template, collision_count)
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels[REVISION_HASH_LABEL] = digest
    md: Object = {
        "name": f"{owner['metadata']['name']}-{digest}",
        "namespace": owner["metadata"].get("namespace", ""),
        "labels": labels,
        "ownerReferences": [new_controller_ref(owner, "apps/v1", kind)],
    }
    if owner["metadata"].get("annotations"):
        md["annotations"] = dict(owner["metadata"]["annotations"])
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": md,
        "data": revision_data(owner),
        "revision": revision,
    }


@dataclass(slots=True)
class Synced:
    current: Object | None  # None: a name collision; collision_count went up
    old: list[Object]
    collision_count: int | None


async def sync_history(client: ResourceClient, owner: Object, kind: str, revisions: list[Object]) -> Synced:
    """The current revision (created or promoted as needed) and the old ones."""
    data = revision_data(owner)
    status = owner.get("status") or {}
    collision_count = status.get("collisionCount")
    matching = [r for r in by_revision(revisions) if r.get("data") == data]
    old = [r for r in revisions if r.get("data") != data]
    next_number = max((revision_number(r) for r in old), default=0) + 1
    namespace = owner["metadata"].get("namespace")
    current: Object | None = matching[-1] if matching else None
    for dup in matching[:-1]:
        try:
            await client.delete(dup["metadata"]["name"], namespace=namespace)
        except errors.NotFound:
            pass
    if current is None:
        rev = new_revision(owner, kind, next_number, collision_count)
        try:
            current = await client.create(rev, namespace=namespace)
        except errors.AlreadyExists:
            existing = await client.get(rev["metadata"]["name"], namespace=namespace)
            if existing.get("data") != data:
                return Synced(None, old, int(collision_count or 0) + 1)
            current = existing
    if revision_number(current) < next_number:
        current = await client.patch(
            current["metadata"]["name"], {"revision": next_number}, namespace=namespace
        )
    return Synced(current, old, collision_count)


async def truncate(client: ResourceClient, owner: Object, old: list[Object], live_hashes: set[str]) -> None:
    """Delete old revisions no live pod uses, oldest first, beyond revisionHistoryLimit."""
    limit = int((owner.get("spec") or {}).get("revisionHistoryLimit", 10))
    unused = [r for r in by_revision(old) if revision_hash(r) not in live_hashes]
    for rev in unused[: max(len(unused) - limit, 0)]:
        try:
            await client.delete(rev["metadata"]["name"], namespace=owner["metadata"].get("namespace"))
        except errors.NotFound:
            pass
