"""The Status value every plugin returns, and the codes that tell the scheduler what to do.

    code                            meaning                                the scheduler then
    Success (a None status)         the plugin is satisfied                goes on
    Error                           something broke (a bug, an API error)  backs the pod off
    Unschedulable                   does not fit now; preemption may help  tries preemption,
                                    (e.g. Insufficient cpu)                parks the pod
    UnschedulableAndUnresolvable    does not fit, and evicting pods on     parks the pod;
                                    the node cannot change that (taints)   preemption skips
                                                                           the node
    Wait                            (Permit) hold the pod before binding   binds when allowed
    Skip                            (PreFilter/PreScore) this plugin has   skips the plugin's
                                    nothing to say about this pod          Filter/Score
    Pending                         waiting on something outside the       parks the pod until
                                    scheduler                              that changes

Success is spelled `None` on the hot paths (Filter runs for thousands of node-pod pairs), as
Kubernetes uses a nil *Status; `Status.is_success` treats None and Code.SUCCESS alike.
Reasons are the short sentences users read, counted per node in the FailedScheduling
message ("2 Insufficient cpu").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Code(IntEnum):
    SUCCESS = 0
    ERROR = 1
    UNSCHEDULABLE = 2
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3
    WAIT = 4
    SKIP = 5
    PENDING = 6


@dataclass(slots=True)
class Status:
    code: Code
    reasons: tuple[str, ...] = ()
    plugin: str = ""
    error: BaseException | None = field(default=None, compare=False)

    @classmethod
    def unschedulable(cls, *reasons: str, plugin: str = "") -> Status:
        return cls(Code.UNSCHEDULABLE, reasons, plugin)

    @classmethod
    def unresolvable(cls, *reasons: str, plugin: str = "") -> Status:
        return cls(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, reasons, plugin)

    @classmethod
    def skip(cls) -> Status:
        return cls(Code.SKIP)

    @classmethod
    def as_error(cls, err: BaseException, plugin: str = "") -> Status:
        return cls(Code.ERROR, (str(err) or type(err).__name__,), plugin, err)

    def message(self) -> str:
        return ", ".join(self.reasons)

    def is_rejected(self) -> bool:
        """Unschedulable, UnschedulableAndUnresolvable or Pending: the pod does not fit."""
        return self.code in _REJECTED

    def with_plugin(self, name: str) -> Status:
        self.plugin = name
        return self


_REJECTED = frozenset({Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE, Code.PENDING})


def is_success(status: Status | None) -> bool:
    return status is None or status.code is Code.SUCCESS


def is_skip(status: Status | None) -> bool:
    return status is not None and status.code is Code.SKIP


def code_of(status: Status | None) -> Code:
    return Code.SUCCESS if status is None else status.code
