"""DefaultStorageClass and StorageObjectInUseProtection: the two storage admission plugins
Kubernetes turns on by default.

DefaultStorageClass: a PersistentVolumeClaim created without a class (no
`spec.storageClassName` at all, and no `volume.beta.kubernetes.io/storage-class`
annotation; an empty string is a choice: "no class") gets the default StorageClass, the one
annotated `storageclass.kubernetes.io/is-default-class: "true"` (or the beta annotation);
with several defaults the newest wins, then the first by name, as in Kubernetes 1.26+.

StorageObjectInUseProtection: every new PersistentVolumeClaim gets the
`kubernetes.io/pvc-protection` finalizer and every new PersistentVolume the
`kubernetes.io/pv-protection` one; the pvc-protection and pv-protection controllers remove
them once no pod uses the claim / no claim is bound to the volume
(kubelite.controllers.volume.protection).
"""

from __future__ import annotations

from typing import Any

from kubelite.api.volumes import PV_PROTECTION, PVC_PROTECTION
from kubelite.apiserver.admission.chain import Plugin
from kubelite.apiserver.admission.objects import Objects
from kubelite.apiserver.registry import AdmissionAttributes

DEFAULT_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"


def is_default_class(sc: dict[str, Any]) -> bool:
    annotations = sc["metadata"].get("annotations") or {}
    return any(annotations.get(a) == "true" for a in DEFAULT_CLASS_ANNOTATIONS)


def default_class(classes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The default StorageClass among `classes`: the newest, then the first by name."""
    defaults = sorted((c for c in classes if is_default_class(c)), key=lambda c: c["metadata"]["name"])
    # RFC 3339 timestamps of one format sort as strings; a stable sort keeps names ascending.
    defaults.sort(key=lambda c: str(c["metadata"].get("creationTimestamp") or ""), reverse=True)
    return defaults[0] if defaults else None


def _new_claim_or_volume(attrs: AdmissionAttributes, kind: str) -> bool:
    return (
        attrs.operation == "CREATE"
        and attrs.rt.group == ""
        and attrs.rt.kind == kind
        and not attrs.subresource
        and attrs.obj is not None
    )


class DefaultStorageClass(Plugin):
    NAME = "DefaultStorageClass"

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.classes = objects.type("storage.k8s.io", "v1", "storageclasses")

    async def admit(self, attrs: AdmissionAttributes) -> None:
        if not _new_claim_or_volume(attrs, "PersistentVolumeClaim"):
            return
        assert attrs.obj is not None
        spec = attrs.obj.setdefault("spec", {})
        annotations = attrs.obj.get("metadata", {}).get("annotations") or {}
        if spec.get("storageClassName") is not None or BETA_CLASS_ANNOTATION in annotations:
            return  # the user chose (an empty name chooses no class)
        sc = default_class(self.objects.list(self.classes))
        if sc is not None:
            spec["storageClassName"] = sc["metadata"]["name"]


class StorageObjectInUseProtection(Plugin):
    NAME = "StorageObjectInUseProtection"

    async def admit(self, attrs: AdmissionAttributes) -> None:
        for kind, finalizer in (
            ("PersistentVolumeClaim", PVC_PROTECTION),
            ("PersistentVolume", PV_PROTECTION),
        ):
            if _new_claim_or_volume(attrs, kind):
                assert attrs.obj is not None
                finalizers = attrs.obj.setdefault("metadata", {}).setdefault("finalizers", [])
                if finalizer not in finalizers:
                    finalizers.append(finalizer)
