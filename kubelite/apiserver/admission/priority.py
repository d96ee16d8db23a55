"""Priority: pods get their priority from their PriorityClass; one class may be the default.

On pod creation `spec.priorityClassName` is resolved to `spec.priority` (and
`spec.preemptionPolicy`) from the PriorityClass of that name; a pod naming none gets the
class marked `globalDefault` (its name too), else priority 0. A class that does not exist
is refused: `pods "p" is forbidden: no PriorityClass with name x was found`; so is a pod that
states a priority or preemption policy different from its class's. On update the values set
at creation are kept (validation refuses changing them). A second `globalDefault` class is
refused. The scheduler orders its queue and chooses preemption victims by `spec.priority`.

The system classes (system-node-critical, system-cluster-critical) may be used in any
namespace since Kubernetes 1.17 (a ResourceQuota with a PriorityClass scope is the way to
limit them); the API server creates both at start.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import errors
from kubelite.apiserver.admission.chain import Plugin, forbidden
from kubelite.apiserver.admission.objects import SYSTEM, Objects
from kubelite.apiserver.registry import AdmissionAttributes, Registry

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
_DEFAULT_POLICY = "PreemptLowerPriority"


class Priority(Plugin):
    NAME = "Priority"

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.classes = objects.type("scheduling.k8s.io", "v1", "priorityclasses")

    def _global_default(self) -> dict[str, Any] | None:
        for pc in self.objects.list(self.classes):
            if pc.get("globalDefault"):
                return pc
        return None

    async def admit(self, attrs: AdmissionAttributes) -> None:
        rt = attrs.rt
        if rt.group == "" and rt.kind == "Pod" and not attrs.subresource:
            if attrs.operation == "CREATE":
                await self._admit_new_pod(attrs)
            elif attrs.operation == "UPDATE":
                assert attrs.obj is not None and attrs.old is not None
                spec, old_spec = attrs.obj.setdefault("spec", {}), attrs.old.get("spec") or {}
                for field in ("priority", "preemptionPolicy"):
                    if spec.get(field) is None and old_spec.get(field) is not None:
                        spec[field] = old_spec[field]

    async def _admit_new_pod(self, attrs: AdmissionAttributes) -> None:
        assert attrs.obj is not None
        spec = attrs.obj.setdefault("spec", {})
        name = spec.get("priorityClassName") or ""
        if name:
            pc = await self.objects.get(self.classes, "", name)
            if pc is None:
                raise forbidden(attrs, f"no PriorityClass with name {name} was found")
        else:
            pc = self._global_default()
            if pc is not None:
                spec["priorityClassName"] = pc["metadata"]["name"]
        value = int(pc.get("value") or 0) if pc is not None else 0
        policy = (pc or {}).get("preemptionPolicy") or _DEFAULT_POLICY
        stated = spec.get("priority")
        if stated is not None and stated != value:
            raise forbidden(
                attrs,
                f"the integer value of priority ({stated}) must not be provided in pod spec; priority "
                f"admission controller computed {value} from the given PriorityClass name",
            )
        spec["priority"] = value
        stated_policy = spec.get("preemptionPolicy")
        if stated_policy is not None and stated_policy != policy:
            raise forbidden(
                attrs,
                f"the string value of PreemptionPolicy ({stated_policy}) must not be provided in pod spec; "
                f"priority admission controller computed {policy} from the given PriorityClass name",
            )
        spec["preemptionPolicy"] = policy

    async def validate(self, attrs: AdmissionAttributes) -> None:
        rt = attrs.rt
        if rt.group != "scheduling.k8s.io" or rt.kind != "PriorityClass" or attrs.subresource:
            return
        if attrs.operation not in ("CREATE", "UPDATE") or attrs.obj is None:
            return
        if not attrs.obj.get("globalDefault"):
            return
        current = self._global_default()
        if current is None:
            return
        if attrs.operation == "CREATE" or current["metadata"]["name"] != attrs.name:
            raise forbidden(
                attrs,
                f"PriorityClass {current['metadata']['name']} is already marked as default. "
                "Only one default can exist",
            )


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
            "preemptionPolicy": _DEFAULT_POLICY,
        }
        try:
            await registry.create(rt, "", pc, SYSTEM)
        except errors.AlreadyExists:
            pass
