"""ResourceQuota: a write that would take a namespace past one of its quotas is refused.

For each ResourceQuota of the namespace whose scopes select the object, the object's usage
(kubelite.api.quota; for an update, new minus old) of the resources the quota limits is
added to the quota's `status.used` and compared with `status.hard`:

    exceeded    pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2,
                limited: pods=2
    unsynced    pods "p" is forbidden: status unknown for quota: q, resources: pods
                (the resource quota controller has not counted the namespace yet)
    unstated    pods "p" is forbidden: failed quota: q: must specify limits.cpu for: app
                (a quota on cpu or memory needs every container to state it)

An admitted write is charged at once: the new `status.used` is written with a
compare-and-swap on the quota, so two API servers never both hand out its last unit; the
check runs again on the fresh quota when the swap loses. What is freed (deleted pods,
failed writes) is given back by the resource quota controller's next recount. Pods are
charged on creation only; Services and PersistentVolumeClaims on update too (a type change,
a resize).
"""

from __future__ import annotations

from typing import Any

from kubelite.api import quota
from kubelite.apiserver.admission.chain import Plugin, forbidden
from kubelite.apiserver.admission.objects import SYSTEM, Objects
from kubelite.apiserver.registry import AdmissionAttributes

_UPDATES_COUNTED = frozenset({("", "services"), ("", "persistentvolumeclaims")})


class ResourceQuota(Plugin):
    NAME = "ResourceQuota"

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.quotas = objects.type("", "v1", "resourcequotas")

    async def validate(self, attrs: AdmissionAttributes) -> None:
        rt = attrs.rt
        if attrs.subresource or not rt.namespaced or attrs.obj is None:
            return
        if attrs.operation == "UPDATE" and (rt.group, rt.plural) not in _UPDATES_COUNTED:
            return
        if attrs.operation not in ("CREATE", "UPDATE"):
            return
        quotas = self.objects.list(self.quotas, attrs.namespace)
        if not quotas:
            return
        new = quota.usage(rt.group, rt.plural, attrs.obj)
        old = quota.usage(rt.group, rt.plural, attrs.old) if attrs.old is not None else {}
        delta = quota.subtract(new, old)
        for q in quotas:
            if not quota.matches(q, rt.group, rt.plural, attrs.obj):
                continue
            await self._charge(attrs, q, delta)

    async def _charge(self, attrs: AdmissionAttributes, q: dict[str, Any], delta: quota.Usage) -> None:
        name = q["metadata"]["name"]
        hard_spec = (q.get("spec") or {}).get("hard") or {}
        if attrs.rt.plural == "pods" and attrs.rt.group == "" and attrs.operation == "CREATE":
            missing = quota.missing_specifications(hard_spec, attrs.obj or {})
            if missing:
                raise forbidden(attrs, f"failed quota: {name}: {missing}")
        wanted = {r: v for r, v in quota.restrict(delta, q).items() if not v.is_zero()}
        if not wanted:
            return
        self._check(attrs, q, wanted)
        if attrs.dry_run:
            return

        def charge(current: dict[str, Any]) -> dict[str, Any]:
            used = self._check(attrs, current, wanted)
            current.setdefault("status", {})["used"] = {
                **((current.get("status") or {}).get("used") or {}),
                **quota.to_json(used),
            }
            return current

        await self.objects.registry.update(
            self.quotas, attrs.namespace, name, charge, SYSTEM, subresource="status"
        )

    def _check(self, attrs: AdmissionAttributes, q: dict[str, Any], wanted: quota.Usage) -> quota.Usage:
        """The quota's used values after the charge, or the refusal."""
        name = q["metadata"]["name"]
        status = q.get("status") or {}
        hard = quota.parse(status.get("hard"))
        used = quota.parse(status.get("used"))
        unknown = sorted(r for r in wanted if r not in hard or r not in used)
        if unknown:
            raise forbidden(attrs, f"status unknown for quota: {name}, resources: {','.join(unknown)}")
        after = quota.add({r: used[r] for r in wanted}, wanted)
        exceeded = sorted(r for r, v in after.items() if v > hard[r] and wanted[r].sign() > 0)
        if exceeded:
            raise forbidden(
                attrs,
                f"exceeded quota: {name}, requested: {quota.pretty({r: wanted[r] for r in exceeded})}, "
                f"used: {quota.pretty({r: used[r] for r in exceeded})}, "
                f"limited: {quota.pretty({r: hard[r] for r in exceeded})}",
            )
        return after
