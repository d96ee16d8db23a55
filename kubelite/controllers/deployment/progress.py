"""A Deployment's status, and whether its rollout progresses, completed or timed out.

    status            sums over its ReplicaSets: replicas (actual pods), updatedReplicas
                      (the new ReplicaSet's pods), readyReplicas, availableReplicas,
                      unavailableReplicas (desired minus available, never negative)
    Available         True while available >= replicas - maxUnavailable

    Progressing (with spec.progressDeadlineSeconds):

        rollout complete ─────────────────────────▶ True  NewReplicaSetAvailable
        (updated = replicas = available = spec.replicas, generation observed)
        any progress since the last status ───────▶ True  ReplicaSetUpdated
        (more updated/ready/available pods, or     (lastUpdateTime moves on)
         fewer old ones)
        no progress for progressDeadlineSeconds ──▶ False ProgressDeadlineExceeded
        since lastUpdateTime                       (kubectl rollout status fails on it)

While a rollout is neither complete nor timed out and nothing changed, the Deployment is
looked at again when its deadline would pass, so a stuck rollout is reported on time.
"""

from __future__ import annotations

import copy

from kubelite.api.meta import parse_time
from kubelite.api.types import Object
from kubelite.controllers.deployment import util
from kubelite.controllers.deployment.conditions import (
    AVAILABLE,
    MINIMUM_REPLICAS_AVAILABLE,
    MINIMUM_REPLICAS_UNAVAILABLE,
    NEW_RS_AVAILABLE,
    PROGRESSING,
    REPLICA_FAILURE,
    RS_UPDATED,
    TIMED_OUT,
    from_replica_set_condition,
    get_condition,
    new_condition,
    remove_condition,
    set_condition,
)
from kubelite.controllers.deployment.state import Sync

_OMIT_ZERO = ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas")


def calculate_status(all_rss: list[Object | None], new_rs: Object | None, d: Object, now: float) -> Object:
    available = util.status_total(all_rss, "availableReplicas")
    status: Object = {
        "observedGeneration": d["metadata"].get("generation", 0),
        "replicas": util.status_total(all_rss, "replicas"),
        "updatedReplicas": util.status_total([new_rs], "replicas"),
        "readyReplicas": util.status_total(all_rss, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(0, util.spec_total(all_rss) - available),
    }
    old = d.get("status") or {}
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if old.get("conditions"):
        status["conditions"] = copy.deepcopy(old["conditions"])
    if available >= util.replicas(d) - util.max_unavailable(d):
        cond = new_condition(
            AVAILABLE, "True", MINIMUM_REPLICAS_AVAILABLE, "Deployment has minimum availability.", now
        )
    else:
        cond = new_condition(
            AVAILABLE,
            "False",
            MINIMUM_REPLICAS_UNAVAILABLE,
            "Deployment does not have minimum availability.",
            now,
        )
    set_condition(status, cond)
    for field in (*_OMIT_ZERO, "unavailableReplicas"):
        if not status.get(field):
            status.pop(field, None)
    return status


def deployment_complete(d: Object, status: Object) -> bool:
    want = util.replicas(d)
    return bool(
        status.get("updatedReplicas", 0) == want
        and status.get("replicas", 0) == want
        and status.get("availableReplicas", 0) == want
        and status.get("observedGeneration", 0) >= d["metadata"].get("generation", 0)
    )


def deployment_progressing(d: Object, status: Object) -> bool:
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = status.get("replicas", 0) - status.get("updatedReplicas", 0)
    return bool(
        status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
        or new_old < old_old
        or status.get("readyReplicas", 0) > old.get("readyReplicas", 0)
        or status.get("availableReplicas", 0) > old.get("availableReplicas", 0)
    )


def _deadline(d: Object) -> int:
    return int((d.get("spec") or {}).get("progressDeadlineSeconds") or 0)


def deployment_timed_out(d: Object, status: Object, now: float) -> bool:
    if not util.has_progress_deadline(d):
        return False
    cond = get_condition(status, PROGRESSING)
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    since = parse_time(cond["lastUpdateTime"]).timestamp()
    return since + _deadline(d) < now


def _progress(d: Object, status: Object, new_rs: Object | None, now: float) -> None:
    """Set the Progressing condition for a rollout that has not completed yet."""
    name = d["metadata"]["name"]
    subject = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs is not None else f'Deployment "{name}"'
    current = get_condition(d.get("status") or {}, PROGRESSING)
    if deployment_complete(d, status):
        msg = f"{subject} has successfully progressed."
        set_condition(status, new_condition(PROGRESSING, "True", NEW_RS_AVAILABLE, msg, now))
    elif deployment_progressing(d, status):
        cond = new_condition(PROGRESSING, "True", RS_UPDATED, f"{subject} is progressing.", now)
        # Unlike other conditions, a Progressing condition of the same reason is replaced,
        # so lastUpdateTime records the latest progress.
        if current is not None:
            if current.get("status") == "True":
                cond["lastTransitionTime"] = current.get("lastTransitionTime")
            remove_condition(status, PROGRESSING)
        set_condition(status, cond)
    elif deployment_timed_out(d, status, now):
        msg = f"{subject} has timed out progressing."
        set_condition(status, new_condition(PROGRESSING, "False", TIMED_OUT, msg, now))


def replica_failures(all_rss: list[Object | None], new_rs: Object | None) -> list[Object]:
    """ReplicaFailure conditions, the new ReplicaSet's before any old one's."""

    def of(rs: Object | None) -> list[Object]:
        if rs is None:
            return []
        conds = (rs.get("status") or {}).get("conditions") or []
        return [from_replica_set_condition(c) for c in conds if c.get("type") == REPLICA_FAILURE]

    return of(new_rs) or [c for rs in all_rss for c in of(rs)]


async def sync_rollout_status(s: Sync, all_rss: list[Object | None], new_rs: Object | None) -> None:
    d, now = s.d, s.now()
    status = calculate_status(all_rss, new_rs, d, now)
    if not util.has_progress_deadline(d):
        remove_condition(status, PROGRESSING)
    current = get_condition(d.get("status") or {}, PROGRESSING)
    complete_before = (
        status.get("replicas", 0) == status.get("updatedReplicas", 0)
        and current is not None
        and current.get("reason") == NEW_RS_AVAILABLE
    )
    if util.has_progress_deadline(d) and not complete_before:
        _progress(d, status, new_rs, now)
    failures = replica_failures(all_rss, new_rs)
    if failures:
        set_condition(status, failures[0])
    else:
        remove_condition(status, REPLICA_FAILURE)
    if (d.get("status") or {}) == status:
        requeue_stuck_deployment(s, status)
        return
    await s.update_status(status)


def requeue_stuck_deployment(s: Sync, status: Object) -> None:
    """A rollout that shows no progress is looked at again when its deadline would pass."""
    d = s.d
    current = get_condition(d.get("status") or {}, PROGRESSING)
    if not util.has_progress_deadline(d) or current is None:
        return
    if deployment_complete(d, status) or current.get("reason") == TIMED_OUT:
        return
    after = parse_time(current["lastUpdateTime"]).timestamp() + _deadline(d) - s.now()
    if after < 1:
        s.requeue_rate_limited()
    else:
        s.requeue_after(after + 1)  # a second more, so the deadline has surely passed


async def sync_deployment_status(s: Sync, all_rss: list[Object | None], new_rs: Object | None) -> None:
    """The status only (a paused or scaling deployment: no progress estimate)."""
    status = calculate_status(all_rss, new_rs, s.d, s.now())
    if (s.d.get("status") or {}) != status:
        await s.update_status(status)
