"""Pod priority: the Priority admission plugin and the built-in PriorityClasses.

On pod creation the API server resolves `spec.priorityClassName` to `spec.priority` (and
`spec.preemptionPolicy`) from the PriorityClass of that name; a pod naming none gets the
class marked `globalDefault` (its name too), else priority 0. A class that does not exist
is refused: `pods "p" is forbidden: no PriorityClass with name x was found`. A pod that
states a priority different from its class's is refused too. The scheduler orders its queue
and chooses preemption victims by `spec.priority`.

At start the API server makes sure the two system classes exist, as Kubernetes' does:
system-node-critical (2000001000) and system-cluster-critical (2000000000).

The issue bringing the whole admission chain (issue 16) will move this into it; the
behaviour stays.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import errors
from kubelite.api.resources import ResourceType
from kubelite.apiserver.registry import Admission, Registry, RequestContext

SYSTEM_CLASSES = {
    "system-node-critical": (
        2_000_001_000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    "system-cluster-critical": (
        2_000_000_000,
        "Used for system critical pods that must run in the cluster, but can be moved to another node "
        "if necessary.",
    ),
}
_SYSTEM = RequestContext(user="system:apiserver", groups=("system:masters",))


def _is_pod(rt: ResourceType) -> bool:
    return rt.group == "" and rt.kind == "Pod"


class PriorityAdmission(Admission):
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def _classes(self) -> ResourceType:
        rt = self.registry.catalog.get("scheduling.k8s.io", "v1", "priorityclasses")
        assert rt is not None
        return rt

    def _class(self, name: str) -> dict[str, Any] | None:
        peeked = self.registry.peek(self._classes(), "", name)
        return None if peeked is None else peeked.obj

    def _global_default(self) -> dict[str, Any] | None:
        rt = self._classes()
        for _, cached in self.registry.cache.resource(rt.key_prefix).items():
            if cached.obj.get("globalDefault"):
                return cached.obj
        return None

    async def on_create(self, rt: ResourceType, obj: dict[str, Any], ctx: RequestContext) -> None:
        if not _is_pod(rt):
            return
        spec = obj.setdefault("spec", {})
        name = spec.get("priorityClassName") or ""
        pod_name = obj["metadata"].get("name") or obj["metadata"].get("generateName") or ""
        if name:
            pc = self._class(name)
            if pc is None:
                raise errors.Forbidden(
                    f'pods "{pod_name}" is forbidden: no PriorityClass with name {name} was found',
                    details={"name": pod_name, "kind": "pods"},
                )
        else:
            pc = self._global_default()
            if pc is not None:
                spec["priorityClassName"] = pc["metadata"]["name"]
        value = int(pc.get("value") or 0) if pc is not None else 0
        policy = (pc or {}).get("preemptionPolicy") or "PreemptLowerPriority"
        stated = spec.get("priority")
        if stated is not None and stated != value:
            raise errors.Forbidden(
                f'pods "{pod_name}" is forbidden: the integer value of priority ({stated}) must not be '
                f"provided in pod spec; priority admission controller computed {value} from the given "
                "PriorityClass name",
                details={"name": pod_name, "kind": "pods"},
            )
        spec["priority"] = value
        spec.setdefault("preemptionPolicy", policy)


async def ensure_system_priority_classes(registry: Registry) -> None:
    rt = registry.catalog.get("scheduling.k8s.io", "v1", "priorityclasses")
    assert rt is not None
    for name, (value, description) in SYSTEM_CLASSES.items():
        if registry.peek(rt, "", name) is not None:
            continue
        pc = {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": name},
            "value": value,
            "description": description,
            "preemptionPolicy": "PreemptLowerPriority",
        }
        try:
            await registry.create(rt, "", pc, _SYSTEM)
        except errors.AlreadyExists:
            pass
