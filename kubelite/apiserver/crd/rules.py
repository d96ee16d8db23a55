"""Registry rules of CustomResourceDefinitions (see the package docstring).

create  status = {storedVersions: [the storage version]}; conditions come from the
        controller
update  the storage version joins status.storedVersions (versions once stored stay
        listed until a user removes them through /status)
delete  not immediate: deletionTimestamp, the cleanup finalizer and a Terminating
        condition; the controller deletes the custom objects, then the finalizer
"""

from __future__ import annotations

from typing import Any

from kubelite.api import meta
from kubelite.api.crd.definition import CLEANUP_FINALIZER, storage_version


def prepare_for_create(crd: dict[str, Any]) -> None:
    stored = storage_version(crd)
    crd["status"] = {"storedVersions": [stored]} if stored else {}


def prepare_for_update(new: dict[str, Any], old: dict[str, Any]) -> None:
    stored = storage_version(new)
    status = new.setdefault("status", {})
    versions = status.setdefault("storedVersions", [])
    if stored and stored not in versions:
        versions.append(stored)


def set_condition(crd: dict[str, Any], kind: str, status: str, reason: str, message: str) -> bool:
    """Set (or replace) the condition of `kind`; True when anything changed. The transition
    time moves only when the status does."""
    conditions = crd.setdefault("status", {}).setdefault("conditions", [])
    for c in conditions:
        if c.get("type") == kind:
            if (c.get("status"), c.get("reason"), c.get("message")) == (status, reason, message):
                return False
            if c.get("status") != status:
                c["lastTransitionTime"] = meta.now_rfc3339()
            c.update(status=status, reason=reason, message=message)
            return True
    conditions.append(
        {
            "type": kind,
            "status": status,
            "lastTransitionTime": meta.now_rfc3339(),
            "reason": reason,
            "message": message,
        }
    )
    return True


def mark_for_deletion(crd: dict[str, Any]) -> bool:
    """What DELETE does to a CRD that is not being deleted yet; True when it changed."""
    md = crd["metadata"]
    if md.get("deletionTimestamp"):
        return False
    md["deletionTimestamp"] = meta.now_rfc3339()
    md["deletionGracePeriodSeconds"] = 0
    finalizers = md.setdefault("finalizers", [])
    if CLEANUP_FINALIZER not in finalizers:
        finalizers.append(CLEANUP_FINALIZER)
    set_condition(
        crd,
        "Terminating",
        "True",
        "InstanceDeletionPending",
        "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
    )
    return True
