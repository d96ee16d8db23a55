"""Finding the scale of the controller that owns a pod, as the disruption controller does.

Tried in Kubernetes' order, each from its informer's cache:

    ReplicationController           its spec.replicas
    ReplicaSet owned by a Deployment  the Deployment's spec.replicas
    ReplicaSet (no Deployment)      its spec.replicas
    StatefulSet                     its spec.replicas
    any other kind                  its /scale subresource, read from the API (custom
                                    resources, found through discovery)

Each answer is (the controller's uid, its scale); the uid must be the one the pod's
controller reference names.
"""

from __future__ import annotations

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.discovery import DiscoveryResult, discover
from kubelite.client.informer import SharedInformer
from kubelite.client.resource import APIResource
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.ownership import controller_ref

Found = tuple[str, int] | None


def _scale(obj: Object) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


class ScaleFinder:
    def __init__(self, ctx: ControllerContext) -> None:
        self.client = ctx.client
        self.rcs = ctx.informers.informer("replicationcontrollers")
        self.rss = ctx.informers.informer("replicasets", group="apps")
        self.deployments = ctx.informers.informer("deployments", group="apps")
        self.statefulsets = ctx.informers.informer("statefulsets", group="apps")
        client = ctx.client
        self._discover = ctx.discover or (lambda: discover(client))
        self._by_kind: dict[tuple[str, str], APIResource] = {}

    def informers(self) -> list[SharedInformer]:
        return [self.rcs, self.rss, self.deployments, self.statefulsets]

    @staticmethod
    def _cached(informer: SharedInformer, ref: Object, namespace: str) -> Object | None:
        obj = informer.lister.get(ref.get("name", ""), namespace)
        return obj if obj is not None and obj["metadata"].get("uid") == ref.get("uid") else None

    async def find(self, ref: Object, namespace: str) -> Found:
        group, kind = ref.get("apiVersion", "").rpartition("/")[0], ref.get("kind")
        if (group, kind) == ("", "ReplicationController"):
            rc = self._cached(self.rcs, ref, namespace)
            return (ref["uid"], _scale(rc)) if rc is not None else None
        if (group, kind) == ("apps", "ReplicaSet"):
            rs = self._cached(self.rss, ref, namespace)
            if rs is None:
                return None
            owner = controller_ref(rs)
            if owner is not None and owner.get("kind") == "Deployment":
                d = self._cached(self.deployments, owner, namespace)
                return (owner["uid"], _scale(d)) if d is not None else None
            return ref["uid"], _scale(rs)
        if (group, kind) == ("apps", "StatefulSet"):
            sts = self._cached(self.statefulsets, ref, namespace)
            return (ref["uid"], _scale(sts)) if sts is not None else None
        return await self._scale_subresource(ref, namespace, group, str(kind))

    async def _scale_subresource(self, ref: Object, namespace: str, group: str, kind: str) -> Found:
        resource = self._by_kind.get((group, kind))
        if resource is None:
            found: DiscoveryResult = await self._discover()
            self._by_kind = {(r.resource.group, r.resource.kind): r.resource for r in found.resources}
            resource = self._by_kind.get((group, kind))
            if resource is None:
                return None
        try:
            scale = await self.client.for_resource(resource).get(
                ref["name"], namespace=namespace, subresource="scale"
            )
        except (errors.NotFound, errors.MethodNotAllowed):
            return None
        if scale["metadata"].get("uid") != ref.get("uid"):
            return None
        return ref["uid"], int((scale.get("spec") or {}).get("replicas") or 0)
