"""Bringing a Job's running pods to the number it wants, in one sync.

    suspended                       delete every active pod
    completions unset               want parallelism until a pod succeeded, then no new
                                    pods (the running ones may finish)
    completions set                 want min(completions - succeeded, parallelism)

Too many active pods: delete the surplus (Indexed: duplicates of an index and pods with an
index out of range first, then as the ReplicaSet ranks them), removing the tracking
finalizer first so a pod deleted on purpose is not counted as failed. Too few: unless the
failure back-off still runs (then the Job is looked at again when it ends), create the
difference, at most 500 per sync, in slow-start batches; Indexed Jobs create the lowest
indexes that are neither succeeded nor running. With podReplacementPolicy Failed, pods
still terminating count as running until they reach phase Failed.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.store import object_key
from kubelite.controllers.expectations import UIDTrackingExpectations
from kubelite.controllers.job import backoff, indexes
from kubelite.controllers.job.pods import (
    TRACKING_FINALIZER,
    completion_index,
    is_terminating,
    only_replace_failed,
)
from kubelite.controllers.job.state import JobState
from kubelite.controllers.ownership import new_controller_ref
from kubelite.controllers.podcontrol import (
    NAMESPACE_TERMINATING_CAUSE,
    SLOW_START_INITIAL_BATCH_SIZE,
    PodControl,
    has_status_cause,
    slow_start_batch,
)
from kubelite.controllers.replicaset.ranking import pods_to_delete

MAX_PODS_PER_SYNC = 500


@dataclass(slots=True)
class Outcome:
    active: int
    error: BaseException | None = None
    retry_after: float | None = None  # the back-off still running


def want_active(st: JobState, active: int) -> int:
    parallelism = int(st.spec.get("parallelism", 1))
    if st.completions is None:
        return active if st.succeeded > 0 else parallelism
    return max(0, min(st.completions - st.succeeded, parallelism))


def for_removal(st: JobState, count: int, now: float) -> list[Object]:
    """`count` (or more: every misplaced Indexed pod) active pods to delete."""
    pods = st.active
    chosen: list[Object] = []
    if st.indexed:
        seen: dict[int, Object] = {}
        for pod in pods_to_delete(pods, pods, len(pods), now)[::-1]:  # most valuable first
            ix = completion_index(pod)
            if not st.index_valid(pod) or ix in seen:
                chosen.append(pod)
            else:
                seen[ix] = pod
        pods = [p for p in pods if p not in chosen]
    if len(chosen) < count:
        chosen += pods_to_delete(pods, pods, count - len(chosen), now)
    return chosen


class JobPods:
    """Creates and deletes one Job's pods, counting its expectations."""

    def __init__(
        self,
        control: PodControl,
        expectations: UIDTrackingExpectations,
        remove_finalizer: Callable[[Object], Awaitable[None]],
    ) -> None:
        self.control = control
        self.expectations = expectations
        self.remove_finalizer = remove_finalizer

    async def manage(self, st: JobState) -> Outcome:
        active = len(st.active)
        if st.suspended:
            removed, err = await self.delete(st, st.active)
            return Outcome(active - removed, err)
        terminating = st.terminating if only_replace_failed(st.job) else 0
        want = want_active(st, active)
        surplus = max(active + terminating - want, 0)
        error: BaseException | None = None
        victims = for_removal(st, surplus, st.now)[:MAX_PODS_PER_SYNC]
        if victims:
            removed, error = await self.delete(st, victims)
            active -= removed
        diff = want - terminating - active
        if diff <= 0:
            return Outcome(active, error)
        wait = backoff.remaining(st.backoff, st.now)
        if wait > 0:
            return Outcome(active, error, retry_after=wait)
        created, err = await self.create(st, min(diff, MAX_PODS_PER_SYNC))
        return Outcome(active + created, error or err)

    async def delete(self, st: JobState, pods: list[Object]) -> tuple[int, BaseException | None]:
        """Delete `pods` (tracking finalizer first); how many went, and the first error."""
        self.expectations.expect_deletions(st.key, [object_key(p) for p in pods])
        namespace = st.job["metadata"].get("namespace", "")

        async def delete_one(pod: Object) -> None:
            try:
                if TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or []):
                    await self.remove_finalizer(pod)
                await self.control.delete_pod(namespace, pod["metadata"]["name"], st.job)
            except errors.NotFound:
                self.expectations.deletion_observed(st.key, object_key(pod))
            except Exception:
                self.expectations.deletion_observed(st.key, object_key(pod))
                raise

        results = await asyncio.gather(*(delete_one(p) for p in pods), return_exceptions=True)
        for r in results:
            if isinstance(r, asyncio.CancelledError):
                raise r
        failures = [r for r in results if isinstance(r, BaseException)]
        return len(pods) - len(failures), (failures[0] if failures else None)

    async def create(self, st: JobState, count: int) -> tuple[int, BaseException | None]:
        template = copy.deepcopy(st.spec.get("template") or {})
        md = template.setdefault("metadata", {})
        if TRACKING_FINALIZER not in (md.get("finalizers") or []):
            md["finalizers"] = [*(md.get("finalizers") or []), TRACKING_FINALIZER]
        todo: list[int | None] = [None] * count
        if st.indexed:
            taken = st.succeeded_indexes | {completion_index(p) for p in st.active if st.index_valid(p)}
            if only_replace_failed(st.job):
                taken |= {completion_index(p) for p in st.pods if is_terminating(p)}
            todo = list(indexes.first_pending(count, st.completions or 0, taken))
        if not todo:
            return 0, None
        self.expectations.expect_creations(st.key, len(todo))
        job = st.job
        ref = new_controller_ref(job, "batch/v1", "Job")
        namespace = job["metadata"].get("namespace", "")
        queue = list(todo)
        name = job["metadata"]["name"]

        async def create_one() -> None:
            ix = queue.pop(0)
            pod_template, generate = template, None
            if ix is not None:
                pod_template = indexes.with_index(copy.deepcopy(template), name, ix)
                generate = indexes.generate_name(name, ix)
            try:
                await self.control.create_pod(namespace, pod_template, job, ref, generate)
            except errors.APIError as err:
                if not has_status_cause(err, NAMESPACE_TERMINATING_CAUSE):
                    raise

        created, error = await slow_start_batch(len(todo), SLOW_START_INITIAL_BATCH_SIZE, create_one)
        if (skipped := len(todo) - created) > 0:
            self.expectations.lower(st.key, add=skipped)
        return created, error
