"""The node's heartbeat: a Lease in kube-node-lease renewed every 10 seconds.

The node lifecycle controller reads `spec.renewTime` of the Lease named after the node;
a Lease not renewed within its `leaseDurationSeconds` (40) makes the node Ready=Unknown.
Renewing is an update of the last Lease we wrote (compare-and-swap on its
resourceVersion), so a renewal costs one request; after a failure the Lease is read again
(or created) and the renewal retried after 200 ms, doubling to 7 s, as Kubernetes' lease
controller does. The Lease is owned by its Node, so deleting the Node deletes the Lease.

    start ──► ensure (create, or get) ──► renew every interval ──► ...
                  ▲                            │ failure
                  └──── back-off 0.2 s … 7 s ◄─┘

Renewals keep a fixed rate: each is due `interval` after the previous one was due, not
after it finished, so the time a request takes (or a busy event loop) does not stretch the
gaps between renewTimes, and nodes whose renewals were spread over the interval (the
simulated kubelet's `first_delay`) stay spread instead of drifting into bursts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kubelite.api.errors import AlreadyExists, APIError
from kubelite.api.meta import format_micro_wall
from kubelite.api.types import Object
from kubelite.kubelet.backoff import RetryDelay
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.kubelet.lease")

NODE_LEASE_NAMESPACE = "kube-node-lease"


def micro_time(clock: Clock) -> str:
    return format_micro_wall(clock.wall())


class NodeLease:
    def __init__(
        self,
        client: Any,
        node_name: str,
        *,
        clock: Clock,
        duration_seconds: int = 40,
        renew_interval: float = 10.0,
        retry_initial: float = 0.2,
        retry_max: float = 7.0,
        node_uid: Callable[[], str] | None = None,
    ) -> None:
        self.leases = client.resource("leases", group="coordination.k8s.io")
        self.node_name = node_name
        self.clock = clock
        self.duration = duration_seconds
        self.interval = renew_interval
        self.retry = RetryDelay(retry_initial, retry_max)
        self.node_uid = node_uid or (lambda: "")
        self.renewals = 0
        self.last_renew: float | None = None  # clock.now() of the last successful renewal
        self._lease: Object | None = None

    def _new(self) -> Object:
        md: Object = {"name": self.node_name, "namespace": NODE_LEASE_NAMESPACE}
        uid = self.node_uid()
        if uid:
            md["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": self.node_name, "uid": uid}]
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": md,
            "spec": {
                "holderIdentity": self.node_name,
                "leaseDurationSeconds": self.duration,
                "renewTime": micro_time(self.clock),
            },
        }

    async def renew_once(self) -> None:
        """Write a fresh renewTime; raises the API error when it cannot."""
        if self._lease is None:
            # A new node's Lease does not exist yet: create first, read only when it does.
            try:
                self._lease = await self.leases.create(self._new(), namespace=NODE_LEASE_NAMESPACE)
                self._renewed()
                return
            except AlreadyExists:
                self._lease = await self.leases.get(self.node_name, namespace=NODE_LEASE_NAMESPACE)
        lease = {
            **self._lease,
            "spec": {
                **self._lease.get("spec", {}),
                "holderIdentity": self.node_name,
                "leaseDurationSeconds": self.duration,
                "renewTime": micro_time(self.clock),
            },
        }
        if not lease["metadata"].get("ownerReferences") and self.node_uid():
            owners = self._new()["metadata"]["ownerReferences"]
            lease["metadata"] = {**lease["metadata"], "ownerReferences": owners}
        try:
            self._lease = await self.leases.update(lease, namespace=NODE_LEASE_NAMESPACE)
        except APIError:
            self._lease = None  # read it again next time (conflict, or deleted)
            raise
        self._renewed()

    def _renewed(self) -> None:
        self.renewals += 1
        self.last_renew = self.clock.now()
        self.retry.success()

    async def run(self, *, first_delay: float = 0.0) -> None:
        """Renew until cancelled, the first time after `first_delay`, then at a fixed rate."""
        due = self.clock.now() + first_delay
        while True:
            await self.clock.sleep(due - self.clock.now())
            try:
                await self.renew_once()
                # Late (a slow request, a busy loop)? Renew at once, but never in a burst.
                due = max(due + self.interval, self.clock.now())
            except Exception as err:  # API errors, connection errors: all retried
                delay = self.retry.failure()
                log.warning(
                    "failed to renew the node lease, retrying: %s",
                    err,
                    extra={"node": self.node_name, "retry_in": delay},
                )
                due = self.clock.now() + delay
