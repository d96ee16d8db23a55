"""Leader election on a coordination.k8s.io/v1 Lease: one active instance, standbys ready.

Every candidate runs a `LeaderElector` against the same Lease. The Lease's holder is the
leader; it renews `spec.renewTime` every `retry_period`. A standby polls the Lease and
takes it over only when it has seen *no change* to it for `lease_duration`: expiry is
measured on the standby's own monotonic clock from the moment it observed the record, never
by comparing timestamps written by another machine, so clock skew cannot elect two leaders.

    candidate ──try every retry_period──▶ leader ──renew every retry_period──┐
        ▲                                   │  ◀─────────────────────────────┘
        │                                   │ no successful renew for renew_deadline
        └──────── (a new run) ◀──── steps down: leading work cancelled

Why two leaders cannot overlap: the leader gives up when it has not renewed for
`renew_deadline` (10 s), which is shorter than the `lease_duration` (15 s) a standby waits
after its last observed change; and every write is a compare-and-swap on the Lease's
resourceVersion, so of two simultaneous attempts only one succeeds. Defaults are
Kubernetes': 15 s / 10 s / 2 s, with up to 1.2 × retry_period of jitter on the standby's
polling.

The Lease is read and written through a `LeaseLock` (client-go's resourcelock), so tests
can use `kubelite.client.testing.InMemoryLeaseLock` and a `FakeClock`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, Protocol

import aiohttp

from kubelite.api.errors import APIError, Conflict, NotFound
from kubelite.api.meta import format_micro_wall, parse_time
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.client.leaderelection")

JITTER_FACTOR = 1.2
RELEASE_ATTEMPTS = 3  # a release that meets a conflict reads the Lease and tries again


@dataclass(slots=True, frozen=True)
class LeaderElectionRecord:
    holder_identity: str
    lease_duration_seconds: int
    acquire_time: float  # wall-clock seconds; informational, never used to decide expiry
    renew_time: float
    leader_transitions: int


class LeaseLock(Protocol):
    """Where the record lives. Writes are compare-and-swap on `version`."""

    async def get(self) -> tuple[LeaderElectionRecord, str] | None:
        """The record and its version, or None if there is no Lease yet."""
        ...

    async def create(self, record: LeaderElectionRecord) -> str:
        """Create the Lease; fails (raises) if it exists. Returns the new version."""
        ...

    async def update(self, record: LeaderElectionRecord, version: str) -> str:
        """Replace the record if it is still at `version`; raises Conflict otherwise."""
        ...

    def describe(self) -> str: ...


@dataclass(slots=True)
class LeaderElectionConfig:
    identity: str
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    release_on_cancel: bool = True

    def __post_init__(self) -> None:
        if not self.lease_duration > self.renew_deadline > JITTER_FACTOR * self.retry_period > 0:
            raise ValueError("need lease_duration > renew_deadline > 1.2 × retry_period > 0")


class LeaseResourceLock:
    """A `LeaseLock` on a real coordination.k8s.io/v1 Lease."""

    def __init__(self, client: Any, name: str, namespace: str = "kube-system") -> None:
        self.leases = client.resource("leases", group="coordination.k8s.io")
        self.name = name
        self.namespace = namespace

    def describe(self) -> str:
        return f"{self.namespace}/{self.name}"

    async def get(self) -> tuple[LeaderElectionRecord, str] | None:
        try:
            lease = await self.leases.get(self.name, namespace=self.namespace)
        except NotFound:
            return None
        return record_from_spec(lease.get("spec") or {}), lease["metadata"]["resourceVersion"]

    async def create(self, record: LeaderElectionRecord) -> str:
        lease = {
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": spec_from_record(record),
        }
        return str((await self.leases.create(lease, namespace=self.namespace))["metadata"]["resourceVersion"])

    async def update(self, record: LeaderElectionRecord, version: str) -> str:
        lease = {
            "metadata": {"name": self.name, "namespace": self.namespace, "resourceVersion": version},
            "spec": spec_from_record(record),
        }
        return str((await self.leases.update(lease))["metadata"]["resourceVersion"])


def spec_from_record(r: LeaderElectionRecord) -> dict[str, Any]:
    return {
        "holderIdentity": r.holder_identity,
        "leaseDurationSeconds": r.lease_duration_seconds,
        "acquireTime": format_micro_wall(r.acquire_time),
        "renewTime": format_micro_wall(r.renew_time),
        "leaseTransitions": r.leader_transitions,
    }


def record_from_spec(spec: dict[str, Any]) -> LeaderElectionRecord:
    def ts(key: str) -> float:
        return parse_time(spec[key]).timestamp() if spec.get(key) else 0.0

    return LeaderElectionRecord(
        spec.get("holderIdentity") or "",
        int(spec.get("leaseDurationSeconds") or 0),
        ts("acquireTime"),
        ts("renewTime"),
        int(spec.get("leaseTransitions") or 0),
    )


class LeaderElector:
    """Runs one candidate. `await run()` returns after this candidate stopped leading."""

    def __init__(
        self,
        config: LeaderElectionConfig,
        lock: LeaseLock,
        *,
        on_started_leading: Callable[[], Coroutine[Any, Any, None]],
        on_stopped_leading: Callable[[], None] | None = None,
        on_new_leader: Callable[[str], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.lock = lock
        self.clock = clock or RealClock()
        self.on_started_leading = on_started_leading
        self.on_stopped_leading = on_stopped_leading
        self.on_new_leader = on_new_leader
        self._observed: LeaderElectionRecord | None = None
        self._observed_version = ""
        self._observed_at = 0.0
        self._leading = False
        self._reported_leader = ""

    def is_leader(self) -> bool:
        return self._leading

    @property
    def leader(self) -> str:
        """The holder this candidate last saw ("" if none)."""
        return self._observed.holder_identity if self._observed else ""

    async def run(self) -> None:
        await self._acquire()
        self._leading = True
        log.info("became leader", extra={"lease": self.lock.describe(), "identity": self.config.identity})
        work = asyncio.ensure_future(self.on_started_leading())
        renewing = asyncio.ensure_future(self._renew_until_lost())
        try:
            await asyncio.wait((work, renewing), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._leading = False
            for task in (work, renewing):
                task.cancel()
            await asyncio.gather(work, renewing, return_exceptions=True)
            log.info(
                "stopped leading", extra={"lease": self.lock.describe(), "identity": self.config.identity}
            )
            if self.on_stopped_leading:
                self.on_stopped_leading()
            if self.config.release_on_cancel:
                await asyncio.shield(self._release())

    async def _acquire(self) -> None:
        while not await self._try_acquire_or_renew():
            period = self.config.retry_period
            await self.clock.sleep(period + random.random() * JITTER_FACTOR * period)

    async def _renew_until_lost(self) -> None:
        while True:
            deadline = self.clock.now() + self.config.renew_deadline
            while not await self._within(deadline, self._try_acquire_or_renew()):
                if self.clock.now() >= deadline:
                    log.warning(
                        "failed to renew the lease in time, stepping down",
                        extra={"lease": self.lock.describe()},
                    )
                    return
                await self.clock.sleep(min(self.config.retry_period, deadline - self.clock.now()))
            await self.clock.sleep(self.config.retry_period)

    async def _within(self, deadline: float, attempt: Awaitable[bool]) -> bool:
        """`attempt`'s answer, or False if the clock passes `deadline` first."""
        task = asyncio.ensure_future(attempt)
        timer = asyncio.ensure_future(self.clock.sleep(deadline - self.clock.now()))
        try:
            await asyncio.wait((task, timer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
        if task.done():
            return task.result()
        task.cancel()
        return False

    async def _try_acquire_or_renew(self) -> bool:
        now_wall = self.clock.wall()
        me = self.config.identity
        try:
            current = await self.lock.get()
            if current is None:
                record = LeaderElectionRecord(me, int(self.config.lease_duration), now_wall, now_wall, 0)
                self._observe(record, await self.lock.create(record))
                return True
            old, version = current
            if old != self._observed or version != self._observed_version:
                self._observe(old, version)
            expired = self._observed_at + old.lease_duration_seconds <= self.clock.now()
            if old.holder_identity and old.holder_identity != me and not expired:
                return False
            if old.holder_identity == me:
                record = replace(
                    old, renew_time=now_wall, lease_duration_seconds=int(self.config.lease_duration)
                )
            else:
                record = LeaderElectionRecord(
                    me, int(self.config.lease_duration), now_wall, now_wall, old.leader_transitions + 1
                )
            self._observe(record, await self.lock.update(record, version))
            return True
        except (TimeoutError, APIError, aiohttp.ClientError, OSError) as err:
            log.debug("lease attempt failed: %s", err, extra={"lease": self.lock.describe()})
            return False

    def _observe(self, record: LeaderElectionRecord, version: str) -> None:
        self._observed, self._observed_version = record, version
        self._observed_at = self.clock.now()
        if record.holder_identity != self._reported_leader:
            self._reported_leader = record.holder_identity
            if self.on_new_leader and record.holder_identity:
                self.on_new_leader(record.holder_identity)

    async def _release(self) -> None:
        """Give the Lease up at once so a standby need not wait for it to expire. A renewal
        cut short by the stop may have reached the server unseen (its answer lost): on a
        conflict the Lease is read again and, while still ours, released at that version."""
        for _ in range(RELEASE_ATTEMPTS):
            if self._observed is None or self._observed.holder_identity != self.config.identity:
                return
            now = self.clock.wall()
            record = LeaderElectionRecord("", 1, now, now, self._observed.leader_transitions)
            try:
                await self.lock.update(record, self._observed_version)
                return
            except Conflict:
                try:
                    current = await self.lock.get()
                except (APIError, aiohttp.ClientError, OSError):
                    return
                if current is None:
                    return
                self._observed, self._observed_version = current
            except (APIError, aiohttp.ClientError, OSError):
                return
