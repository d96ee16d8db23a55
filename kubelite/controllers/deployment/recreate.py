"""The Recreate strategy: every old pod gone before any new one starts.

old ReplicaSets with replicas ──▶ scale them all to 0 (and wait)
old pods still running ─────────▶ wait (a pod deletion wakes the Deployment)
then ──────────────────────────▶ create the new ReplicaSet if missing, scale it to
                                  spec.replicas; once complete, clean up history
"""

from __future__ import annotations

from kubelite.api.types import Object
from kubelite.controllers.deployment import util
from kubelite.controllers.deployment.history import all_replica_sets_and_sync_revision, cleanup
from kubelite.controllers.deployment.progress import deployment_complete, sync_rollout_status
from kubelite.controllers.deployment.state import Sync


async def rollout_recreate(s: Sync, rss: list[Object], pods_by_rs: dict[str, list[Object]]) -> None:
    # Do not create the new ReplicaSet yet: nothing may scale up before the old ones are down.
    new_rs, old = await all_replica_sets_and_sync_revision(s, rss, create=False)
    all_rss: list[Object | None] = [*old, new_rs]
    scaled_down = False
    for rs in util.active(list(old)):
        scaled, _ = await s.scale(rs, 0)
        scaled_down = scaled_down or scaled
    if scaled_down or old_pods_running(new_rs, old, pods_by_rs):
        await sync_rollout_status(s, all_rss, new_rs)
        return
    if new_rs is None:
        new_rs, old = await all_replica_sets_and_sync_revision(s, rss, create=True)
        all_rss = [*old, new_rs]
    if new_rs is not None:
        await s.scale(new_rs, util.replicas(s.d))
    if deployment_complete(s.d, s.d.get("status") or {}):
        await cleanup(s, old)
    await sync_rollout_status(s, all_rss, new_rs)


def old_pods_running(new_rs: Object | None, old: list[Object], pods_by_rs: dict[str, list[Object]]) -> bool:
    if util.status_total(list(old), "replicas") > 0:
        return True
    new_uid = new_rs["metadata"]["uid"] if new_rs is not None else None
    return any(
        (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        for uid, pods in pods_by_rs.items()
        if uid != new_uid
        for pod in pods
    )
