"""Expectations: how a controller avoids acting twice on a cache that has not caught up.

A ReplicaSet controller that creates 10 pods returns at once; its pod informer sees the
new pods a little later. If the ReplicaSet were reconciled again in between, the cache
would still show too few pods and 10 more would be made. So before acting, the controller
records what it expects to observe (10 creations, or the deletion of these 3 pods); the
pod informer's handlers count them off as they arrive; and reconcile skips the "make
counts right" step until every expected event was seen, or the expectation is 5 minutes
old (a lost watch event must not stall the controller forever).

    expect_creations(key, 10) ──▶ { add: 10, del: 0 }   satisfied(key) is False
    pod added (informer)      ──▶ creation_observed(key): add 9 ... 0
    add <= 0 and del <= 0     ──▶ satisfied(key) is True: reconcile may create/delete again

Deletions are tracked by pod key (`UIDTrackingExpectations`): a pod that gets a
deletionTimestamp and later disappears must be counted once, not twice.

Single-threaded (one event loop), so no locks; the clock is injected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubelite.util.clock import Clock

EXPECTATIONS_TIMEOUT = 300.0  # Kubernetes' ExpectationsTimeout: 5 minutes


@dataclass(slots=True)
class Expectation:
    add: int
    delete: int
    set_at: float
    deleting: set[str] = field(default_factory=set)

    def fulfilled(self) -> bool:
        return self.add <= 0 and self.delete <= 0


class UIDTrackingExpectations:
    """Per controller key: creations and deletions still to be observed."""

    def __init__(self, clock: Clock, timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        self.clock = clock
        self.timeout = timeout
        self._by_key: dict[str, Expectation] = {}

    def get(self, key: str) -> Expectation | None:
        return self._by_key.get(key)

    def satisfied(self, key: str) -> bool:
        """True when nothing is expected for `key`, all of it was seen, or it expired."""
        exp = self._by_key.get(key)
        if exp is None or exp.fulfilled():
            return True
        return self.clock.now() - exp.set_at > self.timeout

    def expect_creations(self, key: str, count: int) -> None:
        """Forget what was expected for `key`; now expect `count` creations."""
        self._by_key[key] = Expectation(count, 0, self.clock.now())

    def expect_deletions(self, key: str, pod_keys: list[str]) -> None:
        """Forget what was expected for `key`; now expect exactly these pods to go."""
        self._by_key[key] = Expectation(0, len(set(pod_keys)), self.clock.now(), set(pod_keys))

    def creation_observed(self, key: str) -> None:
        self.lower(key, add=1)

    def deletion_observed(self, key: str, pod_key: str) -> None:
        """`pod_key` went (or started going); counted once however often it is reported."""
        exp = self._by_key.get(key)
        if exp is not None and pod_key in exp.deleting:
            exp.deleting.discard(pod_key)
            exp.delete -= 1

    def lower(self, key: str, *, add: int = 0, delete: int = 0) -> None:
        exp = self._by_key.get(key)
        if exp is not None:
            exp.add -= add
            exp.delete -= delete

    def raise_(self, key: str, *, add: int = 0, delete: int = 0) -> None:
        exp = self._by_key.get(key)
        if exp is not None:
            exp.add += add
            exp.delete += delete

    def delete(self, key: str) -> None:
        """The controller object is gone: drop its expectations."""
        self._by_key.pop(key, None)
