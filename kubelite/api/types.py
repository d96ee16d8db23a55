"""The shapes of API objects as every component handles them: JSON-shaped dicts.

Objects stay plain dicts from the wire to the store and back (unknown fields survive, patches
work on trees, and 100k objects stay cheap), so `Object` names that one type for every
package. The shapes several packages read and build are described here once as TypedDicts -
`total=False`, since any field may be absent in JSON - for the places that construct or
return them; code that walks arbitrary objects keeps `Object`.
"""

from __future__ import annotations

from typing import Any, TypedDict

Object = dict[str, Any]
"""Any API object (or list, or Status) as decoded JSON."""


class OwnerReference(TypedDict, total=False):
    apiVersion: str
    kind: str
    name: str
    uid: str
    controller: bool
    blockOwnerDeletion: bool


class ObjectMeta(TypedDict, total=False):
    name: str
    generateName: str
    namespace: str
    uid: str
    resourceVersion: str
    generation: int
    creationTimestamp: str
    deletionTimestamp: str
    deletionGracePeriodSeconds: int
    labels: dict[str, str]
    annotations: dict[str, str]
    ownerReferences: list[OwnerReference]
    finalizers: list[str]
    managedFields: list[dict[str, Any]]


class Condition(TypedDict, total=False):
    """metav1.Condition, the condition shape of newer APIs (PodDisruptionBudget, Jobs' peers)."""

    type: str
    status: str  # "True", "False" or "Unknown"
    observedGeneration: int
    lastTransitionTime: str
    reason: str
    message: str


class PodCondition(TypedDict, total=False):
    """A pod's (and a node's) condition: no observedGeneration, a lastProbeTime."""

    type: str
    status: str
    lastProbeTime: str | None
    lastTransitionTime: str
    reason: str
    message: str


class Pod(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: ObjectMeta
    spec: dict[str, Any]
    status: dict[str, Any]
