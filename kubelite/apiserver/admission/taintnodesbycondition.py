"""TaintNodesByCondition: a Node is born with the `node.kubernetes.io/not-ready:NoSchedule`
taint, so nothing is scheduled to it before the node lifecycle controller has seen it Ready
and taken the taint off (it keeps node conditions and taints in step from then on)."""

from __future__ import annotations

from kubelite.apiserver.admission.chain import Plugin
from kubelite.apiserver.registry import AdmissionAttributes

NOT_READY = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}


class TaintNodesByCondition(Plugin):
    NAME = "TaintNodesByCondition"

    async def admit(self, attrs: AdmissionAttributes) -> None:
        rt = attrs.rt
        if attrs.operation != "CREATE" or attrs.subresource or rt.group != "" or rt.kind != "Node":
            return
        assert attrs.obj is not None
        taints = attrs.obj.setdefault("spec", {}).setdefault("taints", [])
        if not any(
            t.get("key") == NOT_READY["key"] and t.get("effect") == NOT_READY["effect"] for t in taints
        ):
            taints.append(dict(NOT_READY))
