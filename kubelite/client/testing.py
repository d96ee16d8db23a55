"""Fakes of the client's seams, for tests of components built on it.

`FakeCluster` (its own module, `fakecluster.py`) is an in-memory API server behind the
client's interfaces: informers, workqueues and controllers run on it in virtual time.
`InMemoryLeaseLock` is a `LeaseLock` whose record lives in memory, with a switch to make
every call fail (an API server that cannot be reached) and a counter-based version, so
leader election runs in virtual time with a `FakeClock` (kubelite.util.clock).
"""

from __future__ import annotations

from kubelite.api.errors import AlreadyExists, Conflict, ServiceUnavailable
from kubelite.client.fakecluster import Action, FakeClient, FakeCluster
from kubelite.client.leaderelection import LeaderElectionRecord
from kubelite.util.clock import FakeClock

__all__ = ["Action", "FakeClient", "FakeClock", "FakeCluster", "InMemoryLeaseLock"]


class InMemoryLeaseLock:
    def __init__(self, name: str = "lease") -> None:
        self.name = name
        self.record: LeaderElectionRecord | None = None
        self.version = 0
        self.unreachable = False  # every call fails while True

    def describe(self) -> str:
        return f"memory/{self.name}"

    def _check(self) -> None:
        if self.unreachable:
            raise ServiceUnavailable("the lease store is unreachable")

    async def get(self) -> tuple[LeaderElectionRecord, str] | None:
        self._check()
        return None if self.record is None else (self.record, str(self.version))

    async def create(self, record: LeaderElectionRecord) -> str:
        self._check()
        if self.record is not None:
            raise AlreadyExists(f"lease {self.name} already exists")
        self.record, self.version = record, self.version + 1
        return str(self.version)

    async def update(self, record: LeaderElectionRecord, version: str) -> str:
        self._check()
        if version != str(self.version):
            raise Conflict(f"lease {self.name} was modified")
        self.record, self.version = record, self.version + 1
        return str(self.version)
