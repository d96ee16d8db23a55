"""One pass over a StatefulSet's pods: create, recreate, fix, scale down, roll out.

    replicas   ordinals start..start+replicas-1, each an existing pod or one to create
    condemned  existing pods with a higher (or lower) ordinal, highest first

OrderedReady (the default) works "monotonically": it walks the replicas in ordinal order
and stops at the first one it had to create, or that is terminating or not Running and
Ready (and available for minReadySeconds): web-1 is only created once web-0 is Ready.
Condemned pods are then deleted one at a time, highest ordinal first, each only when every
lower pod is healthy. Parallel does each step for all pods at once without waiting.

A Failed (or Succeeded) pod is deleted, and recreated under the same name once it is gone
(Warning RecreatingFailedPod). Claims are created before their pod; a pod whose identity
or storage drifted is updated.

Rolling update (after all that, unless OnDelete): the pod with the highest ordinal at or
above the partition whose revision is not the update revision is deleted - one at a time,
and only while every pod above it is healthy; it comes back from the update revision.
Pods below the partition come back (when deleted) from the current revision.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kubelite.api.pods import is_available, is_deleting
from kubelite.api.types import Object
from kubelite.controllers.statefulset import identity
from kubelite.controllers.statefulset.status import healthy, running_and_ready


@dataclass(slots=True)
class Revisions:
    current_name: str
    update_name: str
    current_template: Object
    update_template: Object


@dataclass(slots=True)
class Actions:
    """What the controller does for this pass (bound by the controller)."""

    create: Callable[[Object, Object], Awaitable[None]]  # (sts, pod)
    delete: Callable[[Object, Object], Awaitable[None]]
    update: Callable[[Object, Object], Awaitable[None]]
    ensure_claims: Callable[[Object, Object, bool], Awaitable[None]]  # (sts, pod, scaled down)
    recreating_failed: Callable[[Object, Object], None]


@dataclass(slots=True)
class Pass:
    sts: Object
    pods: list[Object]
    revisions: Revisions
    actions: Actions
    now: float
    requeue: float | None = None
    replicas: list[Object | None] = field(default_factory=list)
    condemned: list[Object] = field(default_factory=list)

    @property
    def monotonic(self) -> bool:
        return (self.sts.get("spec") or {}).get("podManagementPolicy") != "Parallel"

    @property
    def min_ready(self) -> int:
        return int((self.sts.get("spec") or {}).get("minReadySeconds") or 0)

    def template_for(self, ord_: int) -> tuple[Object, str]:
        spec = self.sts.get("spec") or {}
        strategy = spec.get("updateStrategy") or {}
        start = identity.start_ordinal(self.sts)
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
            if ord_ < start + partition:
                return self.revisions.current_template, self.revisions.current_name
        return self.revisions.update_template, self.revisions.update_name

    def new_pod(self, ord_: int) -> Object:
        template, revision = self.template_for(ord_)
        return identity.new_pod(self.sts, template, ord_, revision)


def sort_out(p: Pass) -> None:
    start = identity.start_ordinal(p.sts)
    p.replicas = [None] * identity.replicas(p.sts)
    for pod in p.pods:
        ord_ = identity.ordinal(pod)
        if identity.in_range(p.sts, pod):
            p.replicas[ord_ - start] = pod
        elif ord_ >= 0:
            p.condemned.append(pod)
    p.condemned.sort(key=identity.ordinal, reverse=True)


async def _replica(p: Pass, index: int) -> bool:
    """Handle one replica; True means stop here (OrderedReady waits)."""
    ord_ = identity.start_ordinal(p.sts) + index
    pod = p.replicas[index]
    if pod is not None and (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
        if not is_deleting(pod):
            if pod["status"]["phase"] == "Failed":
                p.actions.recreating_failed(p.sts, pod)
            await p.actions.delete(p.sts, pod)
        return True
    if pod is None:
        new = p.new_pod(ord_)
        await p.actions.ensure_claims(p.sts, new, False)
        await p.actions.create(p.sts, new)
        return p.monotonic
    if (pod.get("status") or {}).get("phase") in (None, "", "Pending"):
        await p.actions.ensure_claims(p.sts, pod, False)
    if p.monotonic and (is_deleting(pod) or not running_and_ready(pod)):
        return True
    if p.monotonic and not is_available(pod, p.min_ready, p.now):
        p.requeue = float(p.min_ready)
        return True
    if not (identity.identity_matches(p.sts, pod) and identity.storage_matches(p.sts, pod)):
        await p.actions.update(p.sts, pod)
    await p.actions.ensure_claims(p.sts, pod, False)
    return False


async def _condemned(p: Pass, pod: Object, first_unhealthy: Object | None) -> bool:
    if is_deleting(pod):
        return p.monotonic
    if p.monotonic and pod is not first_unhealthy:
        if not running_and_ready(pod) or not is_available(pod, p.min_ready, p.now):
            return True
    await p.actions.ensure_claims(p.sts, pod, True)
    await p.actions.delete(p.sts, pod)
    return p.monotonic


def _first_unhealthy(p: Pass) -> Object | None:
    for pod in [*p.replicas, *reversed(p.condemned)]:
        if pod is None or not healthy(pod):
            return pod
    return None


async def run(p: Pass) -> None:
    sort_out(p)
    if p.sts["metadata"].get("deletionTimestamp"):
        return
    first_unhealthy = _first_unhealthy(p)
    if p.monotonic:
        for index in range(len(p.replicas)):
            if await _replica(p, index):
                return
        for pod in p.condemned:
            if await _condemned(p, pod, first_unhealthy):
                return
    else:
        await asyncio.gather(*(_replica(p, index) for index in range(len(p.replicas))))
        await asyncio.gather(*(_condemned(p, pod, first_unhealthy) for pod in p.condemned))
    await _roll(p)


async def _roll(p: Pass) -> None:
    strategy = (p.sts.get("spec") or {}).get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return
    partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
    for index in range(len(p.replicas) - 1, partition - 1, -1):
        pod = p.replicas[index]
        if pod is None:
            return
        if identity.revision_of(pod) != p.revisions.update_name and not is_deleting(pod):
            await p.actions.delete(p.sts, pod)
            return
        if not healthy(pod):
            return


def apply_revision(sts: Object, revision: Object) -> Object:
    """The pod template a ControllerRevision recorded."""
    template = copy.deepcopy(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template
