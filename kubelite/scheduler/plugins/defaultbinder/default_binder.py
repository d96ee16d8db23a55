"""DefaultBinder (Bind): a Binding of the pod to the node, POSTed to pods/<name>/binding.

The API server sets spec.nodeName and the PodScheduled condition; the kubelet of that node
sees the pod and runs it. The scheduler never starts anything itself.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kubelite.api.errors import APIError
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import PodInfo


class DefaultBinder:
    NAME: ClassVar[str] = "DefaultBinder"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        self.handle = handle or Handle()
        self._pods: Any = None

    async def bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status | None:
        if self._pods is None:
            self._pods = self.handle.client.resource("pods")
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        try:
            await self._pods.create(binding, namespace=pod.namespace, subresource="binding", name=pod.name)
        except (APIError, OSError) as err:
            return Status.as_error(err, self.NAME)
        return None
