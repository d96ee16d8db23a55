"""PersistentVolumes and their claims: which volume may satisfy which claim, and the
annotations the binder, the scheduler and provisioners speak through.

Shared by the PV controller (kubelite.controllers.volume.persistentvolume), the
scheduler's VolumeBinding plugin and the kubelet. A volume satisfies a claim when

    it is Available and not promised to another claim (spec.claimRef), or already
    promised to this one (namespace/name, and uid when set)
    its class (spec.storageClassName) is the claim's ("" = no class on both sides)
    its volumeMode is the claim's (Filesystem when unset)
    its accessModes include every mode the claim asks for
    its capacity is at least the claim's spec.resources.requests.storage
    its labels match the claim's spec.selector, if any
    its spec.nodeAffinity admits the node, when a node is known (the scheduler's path)

and among those the smallest wins (then the one with fewer access modes), as Kubernetes'
findBestMatchForClaim chooses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kubelite.api.quantity import parse_quantity
from kubelite.api.selectors import selector_from_label_selector_object
from kubelite.api.types import Object

BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
NO_PROVISIONER = "kubernetes.io/no-provisioner"
WAIT_FOR_FIRST_CONSUMER = "WaitForFirstConsumer"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
IS_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"

NodeMatcher = Callable[[Object], bool]  # a PV's spec.nodeAffinity.required -> does the node fit


def annotations_of(obj: Object) -> dict[str, str]:
    return obj.get("metadata", {}).get("annotations") or {}


def class_of(obj: Object) -> str:
    """A claim's or volume's StorageClass name ("" for none); the beta annotation first."""
    beta = annotations_of(obj).get(BETA_STORAGE_CLASS)
    if beta is not None:
        return beta
    return str((obj.get("spec") or {}).get("storageClassName") or "")


def requested_storage(claim: Object) -> int:
    requests = ((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}
    return parse_quantity(requests.get("storage", "0")).value()


def capacity(volume: Object) -> int:
    return parse_quantity(((volume.get("spec") or {}).get("capacity") or {}).get("storage", "0")).value()


def phase(obj: Object) -> str:
    return str((obj.get("status") or {}).get("phase") or "")


def is_bound_to(volume: Object, claim: Object) -> bool:
    """The volume's claimRef names this claim (and its uid, once the uid is recorded)."""
    ref = (volume.get("spec") or {}).get("claimRef")
    md = claim["metadata"]
    if not ref or ref.get("name") != md["name"] or ref.get("namespace") != md.get("namespace"):
        return False
    return not ref.get("uid") or ref.get("uid") == md.get("uid")


def _mode(obj: Object) -> str:
    return str((obj.get("spec") or {}).get("volumeMode") or "Filesystem")


def access_modes_fit(claim: Object, volume: Object) -> bool:
    wanted = set((claim.get("spec") or {}).get("accessModes") or ())
    return wanted <= set((volume.get("spec") or {}).get("accessModes") or ())


def node_affinity_fits(volume: Object, node_fits: NodeMatcher | None) -> bool:
    required = ((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required")
    return node_fits is None or not required or node_fits(required)


def _candidate(claim: Object, volume: Object, node_fits: NodeMatcher | None) -> bool:
    spec = volume.get("spec") or {}
    if phase(volume) not in ("Available", "") or spec.get("claimRef"):
        return False
    if volume["metadata"].get("deletionTimestamp") or class_of(volume) != class_of(claim):
        return False
    if _mode(volume) != _mode(claim) or not access_modes_fit(claim, volume):
        return False
    selector = (claim.get("spec") or {}).get("selector")
    if selector is not None and not selector_from_label_selector_object(selector).matches(
        volume["metadata"].get("labels") or {}
    ):
        return False
    return capacity(volume) >= requested_storage(claim) and node_affinity_fits(volume, node_fits)


def best_match(
    claim: Object,
    volumes: Iterable[Object],
    *,
    delay_binding: bool = False,
    node_fits: NodeMatcher | None = None,
) -> Object | None:
    """The volume that should be bound to `claim`, or None.

    A volume already promised to the claim wins at once. With `delay_binding` (a
    WaitForFirstConsumer class and no node chosen yet) only such a volume is taken: the
    scheduler binds the others once it knows the node."""
    best: Object | None = None
    for volume in volumes:
        if is_bound_to(volume, claim) and _mode(volume) == _mode(claim):
            return volume
        if delay_binding or not _candidate(claim, volume, node_fits):
            continue
        size = (capacity(volume), len((volume.get("spec") or {}).get("accessModes") or ()))
        if best is None or size < (capacity(best), len((best.get("spec") or {}).get("accessModes") or ())):
            best = volume
    return best


def wait_for_first_consumer(storage_class: Object | None) -> bool:
    return storage_class is not None and storage_class.get("volumeBindingMode") == WAIT_FOR_FIRST_CONSUMER


def claim_ref(claim: Object) -> Object:
    md = claim["metadata"]
    return {
        "kind": "PersistentVolumeClaim",
        "namespace": md.get("namespace", ""),
        "name": md["name"],
        "uid": md.get("uid", ""),
        "apiVersion": "v1",
        "resourceVersion": md.get("resourceVersion", ""),
    }
