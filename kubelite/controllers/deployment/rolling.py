"""The RollingUpdate strategy: replace pods a few at a time within maxSurge/maxUnavailable.

Each sync takes one step and returns; the ReplicaSets' status changes bring it back:

    1. scale the new ReplicaSet up, to at most spec.replicas, as long as all ReplicaSets
       together stay within spec.replicas + maxSurge pods;
    2. else scale old ReplicaSets down, keeping at least spec.replicas - maxUnavailable
       pods available (the new ReplicaSet's unavailable pods count against the room):
       first the old pods that are not available anyway (oldest ReplicaSet first), then
       available ones;
    3. when the rollout is complete, delete history beyond revisionHistoryLimit;
    and always bring the status and the Progressing condition up to date.

With 10 replicas, maxSurge 25% (3, rounded up) and maxUnavailable 25% (2, rounded down),
there are never more than 13 pods and never fewer than 8 available.
"""

from __future__ import annotations

from kubelite.api.types import Object
from kubelite.controllers.deployment import util
from kubelite.controllers.deployment.history import all_replica_sets_and_sync_revision, cleanup
from kubelite.controllers.deployment.progress import deployment_complete, sync_rollout_status
from kubelite.controllers.deployment.state import Sync


async def rollout_rolling(s: Sync, rss: list[Object]) -> None:
    new_rs, old = await all_replica_sets_and_sync_revision(s, rss, create=True)
    all_rss: list[Object | None] = [*old, new_rs]
    if new_rs is not None and await reconcile_new_replica_set(s, all_rss, new_rs):
        await sync_rollout_status(s, all_rss, new_rs)
        return
    if new_rs is not None and await reconcile_old_replica_sets(s, all_rss, util.active(list(old)), new_rs):
        await sync_rollout_status(s, all_rss, new_rs)
        return
    if deployment_complete(s.d, s.d.get("status") or {}):
        await cleanup(s, old)
    await sync_rollout_status(s, all_rss, new_rs)


async def reconcile_new_replica_set(s: Sync, all_rss: list[Object | None], new_rs: Object) -> bool:
    want = util.replicas(s.d)
    if util.replicas(new_rs) == want:
        return False
    if util.replicas(new_rs) > want:
        scaled, _ = await s.scale(new_rs, want)
        return scaled
    scaled, _ = await s.scale(new_rs, util.new_rs_new_replicas(s.d, all_rss, new_rs))
    return scaled


async def reconcile_old_replica_sets(
    s: Sync, all_rss: list[Object | None], old: list[Object], new_rs: Object
) -> bool:
    if util.spec_total(list(old)) == 0:
        return False
    min_available = util.replicas(s.d) - util.max_unavailable(s.d)
    new_unavailable = util.replicas(new_rs) - int((new_rs.get("status") or {}).get("availableReplicas", 0))
    max_scaled_down = util.spec_total(all_rss) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    old, cleaned = await cleanup_unhealthy_replicas(s, old, max_scaled_down)
    scaled_down = await scale_down_old_replica_sets(s, [*old, new_rs], old)
    return cleaned + scaled_down > 0


async def cleanup_unhealthy_replicas(s: Sync, old: list[Object], most: int) -> tuple[list[Object], int]:
    """Scale old ReplicaSets down by their unavailable pods first: losing those costs no
    availability, and they would otherwise block the rollout until it times out."""
    old = util.by_creation(old)
    total = 0
    for i, rs in enumerate(old):
        if total >= most:
            break
        available = int((rs.get("status") or {}).get("availableReplicas", 0))
        if util.replicas(rs) == 0 or util.replicas(rs) == available:
            continue
        count = min(most - total, util.replicas(rs) - available)
        _, old[i] = await s.scale(rs, util.replicas(rs) - count)
        total += count
    return old, total


async def scale_down_old_replica_sets(s: Sync, all_rss: list[Object | None], old: list[Object]) -> int:
    min_available = util.replicas(s.d) - util.max_unavailable(s.d)
    available = util.status_total(all_rss, "availableReplicas")
    if available <= min_available:
        return 0
    to_scale_down = available - min_available
    total = 0
    for rs in util.by_creation(old):
        if total >= to_scale_down:
            break
        if util.replicas(rs) == 0:
            continue
        count = min(util.replicas(rs), to_scale_down - total)
        await s.scale(rs, util.replicas(rs) - count)
        total += count
    return total
