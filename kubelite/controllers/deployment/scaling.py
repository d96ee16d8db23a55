"""Scaling a Deployment, also in the middle of a rollout: proportional scaling.

A *scaling event* is a change of spec.replicas (seen as an active ReplicaSet whose
`desired-replicas` annotation differs from it). Then:

- one active ReplicaSet (or none: the newest): it simply takes spec.replicas;
- a saturated new ReplicaSet (all replicas, all available): the old ones go to zero;
- otherwise, during a rolling update, the change is shared out proportionally: the room
  is spec.replicas + maxSurge minus the pods all ReplicaSets have now; each active
  ReplicaSet gets its share (its size × new maximum ÷ the maximum recorded in its
  `max-replicas` annotation, rounded), larger ones first (newer first when growing,
  older first when shrinking), and what rounding leaves over goes to the first.

So a rollout that was 60/40 between old and new when the Deployment doubles stays
about 60/40, instead of the whole increase landing on one side.
"""

from __future__ import annotations

from kubelite.api.types import Object
from kubelite.controllers.deployment import util
from kubelite.controllers.deployment.history import all_replica_sets_and_sync_revision
from kubelite.controllers.deployment.state import Sync


async def is_scaling_event(s: Sync, rss: list[Object]) -> bool:
    new_rs, old = await all_replica_sets_and_sync_revision(s, rss, create=False)
    want = util.replicas(s.d)
    for rs in util.active([*old, new_rs]):
        desired = util.int_annotation(rs, util.DESIRED_REPLICAS)
        if desired is not None and desired != want:
            return True
    return False


def find_active_or_latest(new_rs: Object | None, old: list[Object]) -> Object | None:
    if new_rs is None and not old:
        return None
    newest_first = sorted(old, key=util.creation_key, reverse=True)
    live = util.active([*newest_first, new_rs])
    if not live:
        return new_rs if new_rs is not None else newest_first[0]
    return live[0] if len(live) == 1 else None


def _round(x: float) -> int:
    """Round half away from zero (Kubernetes' integer.RoundToInt32)."""
    return int(x - 0.5) if x < 0 else int(x + 0.5)


def replica_set_fraction(rs: Object, d: Object) -> int:
    """How many replicas `rs` gains (or loses) if the deployment's new size is spread in
    proportion to the size recorded on it."""
    want = util.replicas(d)
    if want == 0:
        return -util.replicas(rs)
    new_max = want + util.max_surge(d)
    before = util.int_annotation(rs, util.MAX_REPLICAS)
    if not before:
        # Scaled by hand (or by an autoscaler): fall back on the deployment's current size.
        before = int((d.get("status") or {}).get("replicas", 0))
        if before == 0:
            return 0
    return _round(util.replicas(rs) * new_max / before) - util.replicas(rs)


def replica_set_proportion(rs: Object, d: Object, to_add: int, added: int) -> int:
    if util.replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = replica_set_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _ordered(rss: list[Object], growing: bool) -> list[Object]:
    if growing:  # larger first; same size: newer first
        by_age = sorted(rss, key=util.creation_key, reverse=True)
    else:  # larger first; same size: older first
        by_age = sorted(rss, key=util.creation_key)
    return sorted(by_age, key=util.replicas, reverse=True)


async def scale(s: Sync, new_rs: Object | None, old: list[Object]) -> None:
    d = s.d
    target = find_active_or_latest(new_rs, old)
    if target is not None:
        if util.replicas(target) != util.replicas(d):
            await s.scale(target, util.replicas(d))
        return
    if util.is_saturated(d, new_rs):
        for rs in util.active(list(old)):
            await s.scale(rs, 0)
        return
    if not util.is_rolling_update(d):
        return
    rss = util.active([*old, new_rs])
    allowed = util.replicas(d) + util.max_surge(d) if util.replicas(d) > 0 else 0
    to_add = allowed - util.spec_total(list(rss))
    if to_add != 0:
        rss = _ordered(rss, growing=to_add > 0)
    sizes: dict[str, int] = {}
    added = 0
    for rs in rss:
        proportion = replica_set_proportion(rs, d, to_add, added)
        sizes[rs["metadata"]["name"]] = util.replicas(rs) + proportion
        added += proportion
    for i, rs in enumerate(rss):
        name = rs["metadata"]["name"]
        if i == 0 and to_add != 0:
            sizes[name] = max(0, sizes[name] + to_add - added)  # rounding's leftovers
        await s.scale_with_annotations(rs, sizes[name])
