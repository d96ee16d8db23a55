"""Counting finished pods exactly once: uncountedTerminatedPods and the tracking finalizer.

A finished pod moves through three steps, each written before the next begins, so a crash
or a lost write at any point neither loses the pod nor counts it twice:

    1. its uid is added to status.uncountedTerminatedPods.succeeded/failed (Indexed Jobs:
       its index straight into status.completedIndexes), and the status is written;
    2. the `batch.kubernetes.io/job-tracking` finalizer is removed from the pod (it may
       now be deleted);
    3. uids in uncountedTerminatedPods whose pods no longer hold the finalizer leave the
       list and are added to status.succeeded / status.failed; the status is written.

A pod without the finalizer is never recorded again; a uid in the list is counted when it
leaves it. The Job's terminal condition (Complete or Failed) is only written once the
list is empty and no pod is still terminating, together with completionTime for Complete,
and recorded as an event (Normal Completed "Job completed", or Warning with the failure's
reason and message).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from kubelite.api.meta import format_wall
from kubelite.api.types import Object
from kubelite.controllers.job import conditions, failurepolicy, indexes
from kubelite.controllers.job.pods import completion_index, is_failed, phase, uid
from kubelite.controllers.job.state import JobState

MAX_UNCOUNTED_PODS = 500

WriteStatus = Callable[[JobState], Awaitable[None]]
RemoveFinalizers = Callable[[JobState, list[Object]], Awaitable[tuple[set[str], BaseException | None]]]


def with_finalizer(st: JobState) -> set[str]:
    return {uid(p) for p in st.pods if st.tracked(p)}


def clean_uncounted(st: JobState, holding: set[str]) -> bool:
    """Step 3: count the uncounted uids whose pods let go of the finalizer."""
    keep_s = [u for u in st.uncounted_succeeded if u in holding]
    keep_f = [u for u in st.uncounted_failed if u in holding]
    if len(keep_s) == len(st.uncounted_succeeded) and len(keep_f) == len(st.uncounted_failed):
        return False
    status = st.status
    status["succeeded"] = int(status.get("succeeded") or 0) + len(st.uncounted_succeeded) - len(keep_s)
    status["failed"] = int(status.get("failed") or 0) + len(st.uncounted_failed) - len(keep_f)
    st.uncounted_succeeded, st.uncounted_failed = keep_s, keep_f
    return True


def _may_release(st: JobState, pod: Object, failed: bool) -> bool:
    deleting = bool(st.job["metadata"].get("deletionTimestamp"))
    return deleting or st.finished is not None or phase(pod) == "Succeeded" or failed


def record_finished(st: JobState) -> tuple[list[Object], bool]:
    """Step 1 in memory: the pods whose finalizer may go, and whether the status changed."""
    release: list[Object] = []
    changed = False
    new_indexes: set[int] = set()
    policy = st.spec.get("podFailurePolicy")
    pods = sorted(st.pods, key=completion_index) if st.indexed else st.pods
    for pod in pods:
        if not st.tracked(pod):
            continue
        failed = is_failed(pod, st.job)
        if not _may_release(st, pod, failed):
            continue
        release.append(pod)
        u = uid(pod)
        if phase(pod) == "Succeeded" and u not in st.uncounted_failed:
            if st.indexed:
                if st.index_valid(pod) and completion_index(pod) not in st.prev_indexes:
                    new_indexes.add(completion_index(pod))
            elif u not in st.uncounted_succeeded:
                st.uncounted_succeeded.append(u)
                changed = True
        elif (failed or st.finished is not None) and u not in st.uncounted_failed:
            if (not st.indexed or st.index_valid(pod)) and failurepolicy.match(policy, pod).counts:
                st.uncounted_failed.append(u)
                changed = True
        if len(new_indexes) + len(st.uncounted_succeeded) + len(st.uncounted_failed) >= MAX_UNCOUNTED_PODS:
            break
    if st.indexed:
        done = st.prev_indexes | new_indexes
        text = indexes.format_indexes(done)
        changed |= text != (st.status.get("completedIndexes") or "") or len(done) != st.status.get(
            "succeeded", 0
        )
        st.status["completedIndexes"] = text
        st.status["succeeded"] = len(done)
    return release, changed


def write_uncounted(st: JobState) -> None:
    st.status["uncountedTerminatedPods"] = {
        k: v for k, v in (("succeeded", st.uncounted_succeeded), ("failed", st.uncounted_failed)) if v
    }


def add_interim_condition(st: JobState) -> bool:
    """FailureTarget / SuccessCriteriaMet: written with step 1; the terminal one comes later."""
    cond = st.finished
    if cond is None or cond["type"] not in conditions.TERMINAL_FOR:
        return False
    changed = conditions.find(st.status, cond["type"]) is None
    if changed:
        st.status.setdefault("conditions", []).append(cond)
    st.finished = {**cond, "type": conditions.TERMINAL_FOR[cond["type"]]}
    return changed


def enact_finished(st: JobState, now: float, ready_to_finish: bool) -> bool:
    cond = st.finished
    if cond is None or not ready_to_finish or st.uncounted_succeeded or st.uncounted_failed:
        return False
    if st.terminating > 0:
        return False
    conditions.ensure(st.status, cond["type"], "True", cond["reason"], cond["message"], now)
    if cond["type"] == conditions.COMPLETE:
        st.status["completionTime"] = format_wall(now)
    return True


async def track(
    st: JobState, needs_flush: bool, ready_to_finish: bool, write: WriteStatus, release: RemoveFinalizers
) -> bool:
    """Steps 1-3 for every finished pod of this sync; True if the Job finished now."""
    holding = with_finalizer(st)
    needs_flush |= clean_uncounted(st, holding)
    pods, changed = record_finished(st)
    needs_flush |= changed
    needs_flush |= add_interim_condition(st)
    if needs_flush:
        write_uncounted(st)
        await write(st)
        needs_flush = False
    error: BaseException | None = None
    if pods:
        released, error = await release(st, pods)
        holding -= released
    needs_flush |= clean_uncounted(st, holding)
    finished = error is None and enact_finished(st, st.now, ready_to_finish)
    if needs_flush or finished:
        write_uncounted(st)
        await write(st)
    if error is not None:
        raise error
    return finished
