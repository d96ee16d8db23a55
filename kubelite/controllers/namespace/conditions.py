"""The conditions of a terminating namespace, as the namespace controller reports them.

Every pass over a terminating namespace sets each of these, True with what went wrong or
False with its "all is well" reason and message, and writes the status only when one of
them changed:

    NamespaceDeletionDiscoveryFailure            DiscoveryFailed / ResourcesDiscovered
    NamespaceDeletionGroupVersionParsingFailure  GroupVersionParsingFailed / ParsedGroupVersions
    NamespaceDeletionContentFailure              ContentDeletionFailed / ContentDeleted
    NamespaceContentRemaining                    SomeResourcesRemain / ContentRemoved
                                                 ("pods. has 2 resource instances")
    NamespaceFinalizersRemaining                 SomeFinalizersRemain / ContentHasNoFinalizers
                                                 ("example.com/x in 1 resource instances")

`kubectl describe namespace` shows them, which is how a user learns why a namespace is
stuck in Terminating.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from kubelite.api.meta import format_wall
from kubelite.api.types import Object

DISCOVERY_FAILURE = "NamespaceDeletionDiscoveryFailure"
GV_PARSING_FAILURE = "NamespaceDeletionGroupVersionParsingFailure"
CONTENT_FAILURE = "NamespaceDeletionContentFailure"
CONTENT_REMAINING = "NamespaceContentRemaining"
FINALIZERS_REMAINING = "NamespaceFinalizersRemaining"
CONDITION_TYPES = (
    DISCOVERY_FAILURE,
    GV_PARSING_FAILURE,
    CONTENT_FAILURE,
    CONTENT_REMAINING,
    FINALIZERS_REMAINING,
)

_OK = {
    DISCOVERY_FAILURE: ("ResourcesDiscovered", "All resources successfully discovered"),
    GV_PARSING_FAILURE: ("ParsedGroupVersions", "All legacy kube types successfully parsed"),
    CONTENT_FAILURE: ("ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
    CONTENT_REMAINING: ("ContentRemoved", "All content successfully removed"),
    FINALIZERS_REMAINING: ("ContentHasNoFinalizers", "All content-preserving finalizers finished"),
}


def aggregate(errors: list[str]) -> str:
    """Several errors as Kubernetes' aggregate prints them: one alone, else in brackets."""
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"


@dataclass(slots=True)
class ConditionUpdater:
    now: float
    failed: dict[str, tuple[str, str]] = field(default_factory=dict)  # type -> (reason, message)
    delete_errors: list[str] = field(default_factory=list)

    def discovery_failed(self, failed_groups: dict[str, str]) -> None:
        detail = ", ".join(f"{gv}: {err}" for gv, err in sorted(failed_groups.items()))
        msg = (
            f"Discovery failed for some groups, {len(failed_groups)} failing: "
            f"unable to retrieve the complete list of server APIs: {detail}"
        )
        self.failed[DISCOVERY_FAILURE] = ("DiscoveryFailed", msg)

    def delete_failed(self, message: str) -> None:
        self.delete_errors.append(message)

    def remaining(self, by_resource: dict[str, int], by_finalizer: dict[str, int]) -> None:
        if by_resource:
            parts = sorted(f"{res} has {n} resource instances" for res, n in by_resource.items() if n)
            self.failed[CONTENT_REMAINING] = (
                "SomeResourcesRemain",
                f"Some resources are remaining: {', '.join(parts)}",
            )
        if by_finalizer:
            parts = sorted(f"{fin} in {n} resource instances" for fin, n in by_finalizer.items() if n)
            self.failed[FINALIZERS_REMAINING] = (
                "SomeFinalizersRemain",
                f"Some content in the namespace has finalizers remaining: {', '.join(parts)}",
            )

    def apply(self, namespace: Object) -> bool:
        """Set every condition on `namespace` (in place); True when any of them changed."""
        if self.delete_errors:
            msg = (
                f"Failed to delete all resource types, {len(self.delete_errors)} remaining: "
                f"{aggregate(self.delete_errors)}"
            )
            self.failed[CONTENT_FAILURE] = ("ContentDeletionFailed", msg)
        status = namespace.setdefault("status", {})
        conditions = copy.deepcopy(status.get("conditions") or [])
        changed = False
        for type_ in CONDITION_TYPES:
            if type_ in self.failed:
                state, (reason, message) = "True", self.failed[type_]
            else:
                state, (reason, message) = "False", _OK[type_]
            new = {
                "type": type_,
                "status": state,
                "lastTransitionTime": format_wall(self.now),
                "reason": reason,
                "message": message,
            }
            index = next((i for i, c in enumerate(conditions) if c.get("type") == type_), None)
            if index is None:
                conditions.append(new)
                changed = True
            elif (
                conditions[index].get("status"),
                conditions[index].get("reason"),
                conditions[index].get("message"),
            ) != (
                state,
                reason,
                message,
            ):
                conditions[index] = new
                changed = True
        status["conditions"] = conditions
        return changed
