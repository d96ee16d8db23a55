"""One Deployment sync: the object as it stands now, and the writes every step shares.

A sync reads the Deployment from the cache and then changes it step by step (revision
annotation, conditions, status); `Sync` keeps the latest version, taking the object each
write returns so the next write carries its resourceVersion. Scaling a ReplicaSet (an
update of its spec.replicas and replicas annotations) records the ScalingReplicaSet
event Kubernetes records: `Scaled up replica set web-6d4cf56db6 from 1 to 3`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from kubelite.api.types import Object
from kubelite.client.events import NORMAL, EventRecorder
from kubelite.client.resource import ResourceClient
from kubelite.controllers.deployment import util
from kubelite.util.clock import Clock

SCALING_REPLICA_SET = "ScalingReplicaSet"


@dataclass(slots=True)
class Sync:
    d: Object
    deployments: ResourceClient
    replicasets: ResourceClient
    recorder: EventRecorder
    clock: Clock
    requeue_after: Callable[[float], None]
    requeue_rate_limited: Callable[[], None]

    @property
    def name(self) -> str:
        return str(self.d["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.d["metadata"].get("namespace", ""))

    def now(self) -> float:
        return self.clock.wall()

    async def update_status(self, status: Object | None = None) -> None:
        """Write the deployment's status (and, as /status allows, its annotations)."""
        body = copy.deepcopy(self.d)
        if status is not None:
            body["status"] = status
        self.d = await self.deployments.update(body, subresource="status")

    async def scale(self, rs: Object, new_scale: int) -> tuple[bool, Object]:
        """Scale `rs` (and refresh its replicas annotations); (whether its size changed, rs)."""
        if util.replicas(rs) == new_scale:
            return False, rs
        return await self.scale_with_annotations(rs, new_scale)

    async def scale_with_annotations(self, rs: Object, new_scale: int) -> tuple[bool, Object]:
        want, surge = util.replicas(self.d), util.max_surge(self.d)
        size_changes = util.replicas(rs) != new_scale
        if not size_changes and not util.replicas_annotations_need_update(rs, want, want + surge):
            return False, rs
        old_scale = util.replicas(rs)
        body = copy.deepcopy(rs)
        body["spec"]["replicas"] = new_scale
        util.set_replicas_annotations(body, want, want + surge)
        updated = await self.replicasets.update(body)
        if size_changes:
            direction = "up" if old_scale < new_scale else "down"
            self.recorder.event(
                self.d,
                NORMAL,
                SCALING_REPLICA_SET,
                f"Scaled {direction} replica set {updated['metadata']['name']} "
                f"from {old_scale} to {new_scale}",
            )
        return size_changes, updated
