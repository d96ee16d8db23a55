"""CycleState: what plugins remember between the extension points of one scheduling cycle.

A plugin's PreFilter works something out once (the pod's requests, the existing pods that
match its anti-affinity) and its Filter reads it for every node. Each plugin writes under
its own key. Preemption tries "what if these pods were gone" on copies: `clone()` copies
every value that has a `clone()` of its own and shares the rest (values a plugin never
changes after writing).

`skip_filter` and `skip_score` hold the plugins whose PreFilter/PreScore returned Skip;
the framework leaves out their Filter/Score for this cycle.
"""

from __future__ import annotations

from typing import Any


class CycleState:
    __slots__ = ("_data", "skip_filter", "skip_score", "record_metrics")

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self.skip_filter: set[str] = set()
        self.skip_score: set[str] = set()
        self.record_metrics = False

    def write(self, key: str, value: Any) -> None:
        self._data[key] = value

    def read(self, key: str) -> Any:
        """The value written under `key`; KeyError if the plugin's PreFilter did not run."""
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def clone(self) -> CycleState:
        c = CycleState()
        c._data = {k: (v.clone() if hasattr(v, "clone") else v) for k, v in self._data.items()}
        c.skip_filter = set(self.skip_filter)
        c.skip_score = set(self.skip_score)
        c.record_metrics = self.record_metrics
        return c
