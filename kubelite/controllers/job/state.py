"""What one sync of a Job knows: its pods sorted out, and the counts it works towards.

Built once at the start of a sync from the Job (a copy whose status the sync edits) and the
pods it owns. Counts include the pods that finished since the status was last written:

    succeeded = status.succeeded + uncounted succeeded + newly succeeded pods
                (Indexed: the number of distinct succeeded indexes below completions)
    failed    = status.failed + uncounted failed + newly failed pods that the
                podFailurePolicy does not ignore

"Newly finished" pods still carry the tracking finalizer, are not yet listed in
status.uncountedTerminatedPods, and are not pods whose finalizer this controller already
removed (their removal may not have reached the cache yet: `removed`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from kubelite.api.types import Object
from kubelite.controllers.job import failurepolicy, indexes
from kubelite.controllers.job.backoff import BackoffRecord
from kubelite.controllers.job.pods import (
    UNKNOWN_INDEX,
    completion_index,
    has_finalizer,
    is_active,
    is_failed,
    is_terminating,
    phase,
    uid,
)


@dataclass(slots=True)
class JobState:
    job: Object
    key: str
    pods: list[Object]
    now: float
    removed: set[str]  # uids whose finalizer was removed by us, maybe not yet observed
    active: list[Object] = field(default_factory=list)
    terminating: int = 0
    uncounted_succeeded: list[str] = field(default_factory=list)
    uncounted_failed: list[str] = field(default_factory=list)
    new_succeeded: list[Object] = field(default_factory=list)
    new_failed: list[Object] = field(default_factory=list)
    succeeded: int = 0
    failed: int = 0
    prev_indexes: set[int] = field(default_factory=set)
    succeeded_indexes: set[int] = field(default_factory=set)
    finished: Object | None = None  # the condition to end with (interim or terminal)
    backoff: BackoffRecord = field(default_factory=BackoffRecord)

    @property
    def spec(self) -> Object:
        return self.job.get("spec") or {}

    @property
    def status(self) -> Object:
        return self.job.setdefault("status", {})  # type: ignore[no-any-return]

    @property
    def indexed(self) -> bool:
        return self.spec.get("completionMode") == "Indexed"

    @property
    def completions(self) -> int | None:
        value = self.spec.get("completions")
        return None if value is None else int(value)

    @property
    def suspended(self) -> bool:
        return bool(self.spec.get("suspend"))

    def tracked(self, pod: Object) -> bool:
        """The pod still holds the tracking finalizer, as far as this controller knows."""
        return has_finalizer(pod) and uid(pod) not in self.removed

    def index_valid(self, pod: Object) -> bool:
        ix = completion_index(pod)
        return ix != UNKNOWN_INDEX and ix < (self.completions or 0)


def build(job: Object, key: str, pods: list[Object], now: float, removed: set[str]) -> JobState:
    job = copy.deepcopy(job)
    st = JobState(job, key, pods, now, removed)
    uncounted = st.status.setdefault("uncountedTerminatedPods", {})
    st.uncounted_succeeded = list(uncounted.get("succeeded") or [])
    st.uncounted_failed = list(uncounted.get("failed") or [])
    st.active = [p for p in pods if is_active(p)]
    st.terminating = sum(1 for p in pods if is_terminating(p))
    counted = set(st.uncounted_succeeded) | set(st.uncounted_failed)
    for pod in pods:
        if not st.tracked(pod) or uid(pod) in counted:
            continue
        if phase(pod) == "Succeeded":
            st.new_succeeded.append(pod)
        elif is_failed(pod, job):
            st.new_failed.append(pod)
    policy = st.spec.get("podFailurePolicy")
    counted_failures = [p for p in st.new_failed if failurepolicy.match(policy, p).counts]
    st.succeeded = int(st.status.get("succeeded") or 0) + len(st.new_succeeded) + len(st.uncounted_succeeded)
    st.failed = int(st.status.get("failed") or 0) + len(counted_failures) + len(st.uncounted_failed)
    if st.indexed:
        completions = st.completions or 0
        st.prev_indexes = indexes.parse(st.status.get("completedIndexes") or "", completions)
        fresh = {
            completion_index(p)
            for p in pods
            if phase(p) == "Succeeded" and st.tracked(p) and st.index_valid(p)
        }
        st.succeeded_indexes = st.prev_indexes | fresh
        st.succeeded = len(st.succeeded_indexes)
    return st
