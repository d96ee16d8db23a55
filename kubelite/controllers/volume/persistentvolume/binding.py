"""The API writes of one binding, in Kubernetes' order, each skipped when already done:

    1. volume.spec.claimRef = the claim (namespace, name, uid), and the volume annotated
       pv.kubernetes.io/bound-by-controller when the controller chose it
    2. volume.status.phase = Bound
    3. claim.spec.volumeName = the volume, annotated pv.kubernetes.io/bind-completed (and
       bound-by-controller when the user named no volume)
    4. claim.status: phase Bound, the volume's capacity and accessModes

The volume is written first, so a crash between the steps leaves a volume promised to the
claim, which the next sync of the claim finds and finishes (never two claims on one volume).
"""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api import volumes as v
from kubelite.api.types import Object


def _annotate(obj: Object, key: str) -> None:
    obj["metadata"].setdefault("annotations", {})[key] = "yes"


class Binder:
    """Writes through the controller's PV and PVC clients (kubelite.client resources)."""

    def __init__(self, pvs: Any, pvcs: Any) -> None:
        self.pvs, self.pvcs = pvs, pvcs

    async def bind(self, volume: Object, claim: Object) -> None:
        volume = await self._bind_volume(volume, claim)
        if v.phase(volume) != "Bound":
            await self.volume_phase(volume, "Bound")
        claim = await self._bind_claim(claim, volume)
        await self.claim_status(claim, "Bound", volume)

    async def _bind_volume(self, volume: Object, claim: Object) -> Object:
        ref = (volume.get("spec") or {}).get("claimRef")
        if ref and ref.get("uid") == claim["metadata"].get("uid") and v.is_bound_to(volume, claim):
            return volume
        new = copy.deepcopy(volume)
        new.setdefault("spec", {})["claimRef"] = v.claim_ref(claim)
        if not ref:
            _annotate(new, v.BOUND_BY_CONTROLLER)
        out: Object = await self.pvs.update(new)
        return out

    async def _bind_claim(self, claim: Object, volume: Object) -> Object:
        spec = claim.get("spec") or {}
        name = volume["metadata"]["name"]
        if spec.get("volumeName") == name and v.BIND_COMPLETED in v.annotations_of(claim):
            return claim
        new = copy.deepcopy(claim)
        if not spec.get("volumeName"):
            _annotate(new, v.BOUND_BY_CONTROLLER)
        new.setdefault("spec", {})["volumeName"] = name
        _annotate(new, v.BIND_COMPLETED)
        out: Object = await self.pvcs.update(new)
        return out

    async def volume_phase(self, volume: Object, phase: str, message: str = "") -> Object:
        status = volume.get("status") or {}
        if status.get("phase") == phase and (status.get("message") or "") == message:
            return volume
        new = copy.deepcopy(volume)
        new["status"] = {"phase": phase, **({"message": message} if message else {})}
        out: Object = await self.pvs.update(new, subresource="status")
        return out

    async def claim_status(self, claim: Object, phase: str, volume: Object | None = None) -> Object:
        """Pending/Lost without a volume clear the capacity and access modes; Bound copies them."""
        current = claim.get("status") or {}
        status = {k: val for k, val in current.items() if k not in ("accessModes", "capacity")}
        status["phase"] = phase
        if volume is not None:
            spec = volume.get("spec") or {}
            status["accessModes"] = list(spec.get("accessModes") or [])
            status["capacity"] = dict(spec.get("capacity") or {})
        if status == current:
            return claim
        new = copy.deepcopy(claim)
        new["status"] = status
        out: Object = await self.pvcs.update(
            new, namespace=claim["metadata"]["namespace"], subresource="status"
        )
        return out
