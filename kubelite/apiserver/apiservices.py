"""Local APIServices: one `apiregistration.k8s.io/v1` APIService per group-version the API
server serves itself, as Kubernetes' aggregator registers them (`kubectl get apiservices`
lists them as `Local`, Available).

Built-in group-versions are registered at start (label
`kube-aggregator.kubernetes.io/automanaged: onstart`), those of CustomResourceDefinitions
whenever the catalogue changes (`true`); an automanaged APIService whose group-version is no
longer served is deleted. APIServices users create for other group-versions are left alone.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import errors
from kubelite.api.resources import GROUP_PRIORITY, ResourceCatalog
from kubelite.apiserver.registry import DeleteOptions, Registry, RequestContext

AUTOMANAGED = "kube-aggregator.kubernetes.io/automanaged"
_SYSTEM = RequestContext(user="system:apiserver", groups=("system:masters",), field_manager="kube-apiserver")
_VERSION_PRIORITY = {("autoscaling", "v2"): 30}
CUSTOM_PRIORITY = (1000, 100)


def desired(catalog: ResourceCatalog) -> dict[str, dict[str, Any]]:
    """name -> the local APIService of every served group-version."""
    out: dict[str, dict[str, Any]] = {}
    for group, version in catalog.group_versions():
        custom = any(rt.custom is not None for rt in catalog.in_group_version(group, version))
        group_priority, version_priority = (
            CUSTOM_PRIORITY if custom else GROUP_PRIORITY.get(group, CUSTOM_PRIORITY)
        )
        name = f"{version}.{group}"
        spec: dict[str, Any] = {"group": group} if group else {}  # omitted when empty, as Go does
        spec.update(
            version=version,
            groupPriorityMinimum=group_priority,
            versionPriority=_VERSION_PRIORITY.get((group, version), version_priority),
        )
        out[name] = {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": name, "labels": {AUTOMANAGED: "true" if custom else "onstart"}},
            "spec": spec,
        }
    return out


async def sync(registry: Registry) -> None:
    """Create the missing local APIServices, delete the automanaged ones no longer served."""
    rt = registry.catalog.get("apiregistration.k8s.io", "v1", "apiservices")
    if rt is None:
        return
    wanted = desired(registry.catalog)
    existing = {
        co.obj["metadata"]["name"]: co.obj for co in registry.cache.resource(rt.key_prefix).objects.values()
    }
    for name, obj in wanted.items():
        if name not in existing:
            try:
                await registry.create(rt, "", obj, _SYSTEM)
            except errors.AlreadyExists:
                pass
            await _available(registry, name)
    for name, obj in existing.items():
        managed = (obj["metadata"].get("labels") or {}).get(AUTOMANAGED)
        if managed and name not in wanted:
            try:
                await registry.delete(rt, "", name, DeleteOptions(), _SYSTEM)
            except errors.NotFound:
                pass


async def _available(registry: Registry, name: str) -> None:
    rt = registry.catalog.get("apiregistration.k8s.io", "v1", "apiservices")
    assert rt is not None

    def mutate(obj: dict[str, Any]) -> dict[str, Any]:
        obj["status"] = {
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "lastTransitionTime": obj["metadata"].get("creationTimestamp"),
                    "reason": "Local",
                    "message": "Local APIServices are always available",
                }
            ]
        }
        return obj

    try:
        await registry.update(rt, "", name, mutate, _SYSTEM, subresource="status")
    except errors.NotFound:
        pass
