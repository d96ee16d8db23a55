"""Run a component's work only while this process holds the leader Lease.

    campaign ──acquired──▶ lead(): the component's work ──Lease lost──▶ work cancelled
       ▲                                                                     │
       └───────────────────── campaign again (a fresh lead()) ◀──────────────┘

Every instance of a component campaigns for the same Lease (kube-system/kube-scheduler,
say) through `kubelite.client.leaderelection`. The holder runs `lead()`; the others wait,
their caches warm, and take over within the lease duration when the holder dies (or at once
when it stops cleanly and releases the Lease). When the holder cannot renew within the
renew deadline it steps down: `lead()` is cancelled, so it stops acting before a standby
can start, and the process campaigns again. Kubernetes' components exit at that point and
rely on being restarted; kubelite starts a fresh `lead()` instead, which is the same
behaviour without the restart.

`lead()` returning ends `run_while_leader`; `lead()` raising ends it with that exception
(after the Lease is released), so a crash is a crash, not a silent loss of leadership.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from kubelite.client.leaderelection import LeaderElectionConfig, LeaderElector, LeaseLock, LeaseResourceLock
from kubelite.componentbase.options import LeaderElectionOptions
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.componentbase.leader")

Lead = Callable[[], Coroutine[Any, Any, None]]


def default_identity() -> str:
    """`hostname_uuid`, as Kubernetes' components name themselves in a Lease."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


@dataclass(slots=True)
class LeaderStatus:
    """What the process knows about leadership, for health checks, metrics and logs."""

    identity: str
    leading: bool = False
    leader: str = ""  # the holder last seen ("" before the first observation)
    terms: int = 0  # how many times this process became leader


async def run_while_leader(
    lead: Lead,
    *,
    client: Any,
    options: LeaderElectionOptions,
    status: LeaderStatus | None = None,
    lock: LeaseLock | None = None,
    clock: Clock | None = None,
    on_change: Callable[[LeaderStatus], None] | None = None,
) -> None:
    """Campaign for the Lease and run `lead()` during each term; until cancelled, or until
    `lead()` itself returns (normally or by raising)."""
    status = status or LeaderStatus(default_identity())
    lock = lock or LeaseResourceLock(client, options.resource_name, options.resource_namespace)
    config = LeaderElectionConfig(
        identity=status.identity,
        lease_duration=options.lease_duration,
        renew_deadline=options.renew_deadline,
        retry_period=options.retry_period,
    )
    outcome: list[BaseException | None] = []

    async def term() -> None:
        status.leading, status.terms = True, status.terms + 1
        _changed(status, on_change)
        log.info("started leading", extra={"lease": lock.describe(), "identity": status.identity})
        try:
            await lead()
        except Exception as err:
            outcome.append(err)
            raise
        outcome.append(None)

    def new_leader(identity: str) -> None:
        status.leader = identity
        if identity != status.identity:
            log.info("new leader elected", extra={"lease": lock.describe(), "leader": identity})
        _changed(status, on_change)

    def stopped() -> None:
        status.leading = False
        _changed(status, on_change)

    while True:
        elector = LeaderElector(
            config,
            lock,
            on_started_leading=term,
            on_stopped_leading=stopped,
            on_new_leader=new_leader,
            clock=clock or RealClock(),
        )
        await elector.run()
        if outcome:
            if outcome[0] is not None:
                raise outcome[0]
            return
        log.warning("leader election lost; campaigning again", extra={"lease": lock.describe()})


def _changed(status: LeaderStatus, on_change: Callable[[LeaderStatus], None] | None) -> None:
    if on_change is not None:
        on_change(status)
