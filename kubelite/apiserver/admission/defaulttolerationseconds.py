"""DefaultTolerationSeconds: every pod tolerates a not-ready or unreachable node for a while.

A pod that does not already tolerate the `node.kubernetes.io/not-ready` (resp.
`unreachable`) NoExecute taint gets a toleration of it for `--default-not-ready-toleration-seconds`
(resp. `--default-unreachable-toleration-seconds`), 300 s by default: the node lifecycle
controller's taint-based eviction then removes it from a failed node after that long. A
toleration with an empty key (tolerates everything) or an empty effect counts as tolerating.
"""

from __future__ import annotations

from typing import Any

from kubelite.apiserver.admission.chain import Plugin
from kubelite.apiserver.registry import AdmissionAttributes

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"


def _tolerates(tolerations: list[dict[str, Any]], key: str) -> bool:
    return any(
        t.get("key", "") in (key, "") and t.get("effect", "") in ("NoExecute", "") for t in tolerations
    )


class DefaultTolerationSeconds(Plugin):
    NAME = "DefaultTolerationSeconds"

    def __init__(self, not_ready_seconds: int = 300, unreachable_seconds: int = 300) -> None:
        self.seconds = {NOT_READY: not_ready_seconds, UNREACHABLE: unreachable_seconds}

    async def admit(self, attrs: AdmissionAttributes) -> None:
        rt = attrs.rt
        if attrs.operation not in ("CREATE", "UPDATE") or attrs.subresource:
            return
        if rt.group != "" or rt.kind != "Pod":
            return
        assert attrs.obj is not None
        spec = attrs.obj.setdefault("spec", {})
        tolerations = list(spec.get("tolerations") or [])
        added = False
        for key in (NOT_READY, UNREACHABLE):
            if not _tolerates(tolerations, key):
                tolerations.append(
                    {
                        "key": key,
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": self.seconds[key],
                    }
                )
                added = True
        if added:
            spec["tolerations"] = tolerations
