"""A Deployment's ReplicaSets as its history: which is new, revisions, and clean-up.

The *new* ReplicaSet is the oldest one whose pod template equals the Deployment's
(ignoring pod-template-hash); every other one is *old*. Each carries the revision it was
last the new one at, in `deployment.kubernetes.io/revision`; the Deployment carries its
new ReplicaSet's revision. When the template changes, the new ReplicaSet gets revision
max(old revisions) + 1 - which is how a rollback works: `kubectl rollout undo` copies an
old ReplicaSet's template into the Deployment, that ReplicaSet becomes the new one again,
takes the next revision and remembers its earlier ones in `revision-history`.

    template changed ──▶ no ReplicaSet matches ──▶ create <name>-<hash>, revision max+1,
                                                   Progressing NewReplicaSetCreated
    template matches an existing ReplicaSet ─────▶ sync its annotations and minReadySeconds;
                                                   revision max+1 if it was an old one

`kubectl rollout history` lists these revisions (with each ReplicaSet's
`kubernetes.io/change-cause`). Old ReplicaSets scaled to zero beyond
spec.revisionHistoryLimit are deleted, lowest revision first.
"""

from __future__ import annotations

import copy
import logging

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.events import NORMAL, WARNING
from kubelite.controllers.deployment import util
from kubelite.controllers.deployment.conditions import (
    FAILED_RS_CREATE,
    FOUND_NEW_RS,
    NEW_RS_CREATED,
    PROGRESSING,
    get_condition,
    new_condition,
    set_condition,
)
from kubelite.controllers.deployment.state import SCALING_REPLICA_SET, Sync
from kubelite.controllers.ownership import controller_ref, new_controller_ref
from kubelite.controllers.podcontrol import NAMESPACE_TERMINATING_CAUSE, has_status_cause

log = logging.getLogger("kubelite.controllers.deployment")


def find_new_replica_set(d: Object, rss: list[Object]) -> Object | None:
    template = (d.get("spec") or {}).get("template")
    for rs in util.by_creation(rss):
        if util.equal_ignore_hash((rs.get("spec") or {}).get("template"), template):
            return rs
    return None


def find_old_replica_sets(d: Object, rss: list[Object]) -> tuple[list[Object], list[Object]]:
    """(old ReplicaSets with pods, every old ReplicaSet)."""
    new = find_new_replica_set(d, rss)
    old = [rs for rs in rss if new is None or rs["metadata"]["uid"] != new["metadata"]["uid"]]
    return [rs for rs in old if util.replicas(rs) != 0], old


def set_deployment_revision(d: Object, rev: str) -> bool:
    ann = d.setdefault("metadata", {}).setdefault("annotations", {})
    if ann.get(util.REVISION) == rev:
        return False
    ann[util.REVISION] = rev
    return True


async def all_replica_sets_and_sync_revision(
    s: Sync, rss: list[Object], create: bool
) -> tuple[Object | None, list[Object]]:
    """(the new ReplicaSet, created if `create` and missing; every old ReplicaSet)."""
    _, old = find_old_replica_sets(s.d, rss)
    return await _new_replica_set(s, rss, old, create), old


async def _new_replica_set(s: Sync, rss: list[Object], old: list[Object], create: bool) -> Object | None:
    existing = find_new_replica_set(s.d, rss)
    new_revision = util.max_revision(old) + 1
    if existing is not None:
        return await _sync_existing(s, existing, new_revision)
    if not create:
        return None
    return await _create_new(s, old, new_revision)


async def _sync_existing(s: Sync, existing: Object, new_revision: int) -> Object:
    rs = copy.deepcopy(existing)
    min_ready = (s.d.get("spec") or {}).get("minReadySeconds", 0)
    annotations_changed = util.set_new_replica_set_annotations(s.d, rs, new_revision, exists=True)
    if annotations_changed or (rs.get("spec") or {}).get("minReadySeconds", 0) != min_ready:
        rs["spec"]["minReadySeconds"] = min_ready
        return await s.replicasets.update(rs)
    d = copy.deepcopy(s.d)
    needs_update = set_deployment_revision(d, util.annotations_of(rs).get(util.REVISION, ""))
    status = d.setdefault("status", {})
    if util.has_progress_deadline(d) and get_condition(status, PROGRESSING) is None:
        msg = f'Found new replica set "{rs["metadata"]["name"]}"'
        set_condition(status, new_condition(PROGRESSING, "True", FOUND_NEW_RS, msg, s.now()))
        needs_update = True
    if needs_update:
        s.d = d
        await s.update_status()
    return rs


def _new_replica_set_object(d: Object, collision_count: int | None) -> Object:
    spec = d.get("spec") or {}
    template = copy.deepcopy(spec.get("template") or {})
    hash_ = util.template_hash(spec.get("template") or {}, collision_count)
    labels = {**(template.get("metadata") or {}).get("labels", {}), util.POD_TEMPLATE_HASH: hash_}
    template.setdefault("metadata", {})["labels"] = labels
    selector = copy.deepcopy(spec.get("selector") or {})
    selector.setdefault("matchLabels", {})[util.POD_TEMPLATE_HASH] = hash_
    md = d["metadata"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{md['name']}-{hash_}",
            "namespace": md.get("namespace"),
            "ownerReferences": [new_controller_ref(d, "apps/v1", "Deployment")],
            "labels": dict(labels),
        },
        "spec": {
            "replicas": 0,
            "minReadySeconds": spec.get("minReadySeconds", 0),
            "selector": selector,
            "template": template,
        },
    }


async def _create_new(s: Sync, old: list[Object], new_revision: int) -> Object | None:
    d = s.d
    collision_count = (d.get("status") or {}).get("collisionCount")
    new_rs = _new_replica_set_object(d, collision_count)
    new_rs["spec"]["replicas"] = util.new_rs_new_replicas(d, [*old, new_rs], new_rs)
    util.set_new_replica_set_annotations(d, new_rs, new_revision, exists=False)
    name = new_rs["metadata"]["name"]
    already_exists = False
    try:
        created = await s.replicasets.create(new_rs, namespace=s.namespace)
    except errors.AlreadyExists:
        # A slow cache, or a hash collision: it is ours if we control it and it matches.
        created = await s.replicasets.get(name, namespace=s.namespace)
        ref = controller_ref(created)
        if not (
            ref is not None
            and ref.get("uid") == d["metadata"]["uid"]
            and util.equal_ignore_hash(d["spec"]["template"], created["spec"]["template"])
        ):
            await _bump_collision_count(s)
            raise
        already_exists = True
    except errors.APIError as err:
        if has_status_cause(err, NAMESPACE_TERMINATING_CAUSE):
            raise
        await _report_create_failure(s, name, err)
        raise
    replicas = util.replicas(new_rs)
    if not already_exists and replicas > 0:
        s.recorder.event(
            s.d, NORMAL, SCALING_REPLICA_SET, f"Scaled up replica set {name} from 0 to {replicas}"
        )
    d = copy.deepcopy(s.d)
    needs_update = set_deployment_revision(d, str(new_revision))
    if not already_exists and util.has_progress_deadline(d):
        msg = f'Created new replica set "{name}"'
        set_condition(
            d.setdefault("status", {}), new_condition(PROGRESSING, "True", NEW_RS_CREATED, msg, s.now())
        )
        needs_update = True
    if needs_update:
        s.d = d
        await s.update_status()
    return created


async def _bump_collision_count(s: Sync) -> None:
    d = copy.deepcopy(s.d)
    status = d.setdefault("status", {})
    status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
    s.d = d
    try:
        await s.update_status()
        log.info("hash collision: bumped collisionCount", extra={"deployment": f"{s.namespace}/{s.name}"})
    except errors.APIError:
        pass


async def _report_create_failure(s: Sync, name: str, err: errors.APIError) -> None:
    msg = f'Failed to create new replica set "{name}": {err.message}'
    if util.has_progress_deadline(s.d):
        d = copy.deepcopy(s.d)
        set_condition(
            d.setdefault("status", {}), new_condition(PROGRESSING, "False", FAILED_RS_CREATE, msg, s.now())
        )
        s.d = d
        try:
            await s.update_status()
        except errors.APIError:
            pass  # the failure to report is the bigger one
    s.recorder.event(s.d, WARNING, FAILED_RS_CREATE, msg)


def by_revision(rss: list[Object]) -> list[Object]:
    """Lowest revision first; ties oldest first."""
    return sorted(rss, key=lambda rs: (util.revision(rs) or 0, util.creation_key(rs)))


async def cleanup(s: Sync, old: list[Object]) -> None:
    """Delete the oldest revisions beyond spec.revisionHistoryLimit that have no pods."""
    limit = (s.d.get("spec") or {}).get("revisionHistoryLimit")
    if limit is None:
        return
    alive = [rs for rs in old if not rs["metadata"].get("deletionTimestamp")]
    excess = len(alive) - int(limit)
    if excess <= 0:
        return
    for rs in by_revision(alive)[:excess]:
        status, md = rs.get("status") or {}, rs["metadata"]
        if (
            status.get("replicas", 0) != 0
            or util.replicas(rs) != 0
            or md.get("generation", 0) > status.get("observedGeneration", 0)
        ):
            continue
        try:
            await s.replicasets.delete(md["name"], namespace=md.get("namespace"))
        except errors.NotFound:
            pass
