"""What the CertificateSigningRequest registry does beyond the generic strategy.

    create            spec.username/uid/groups/extra are the requesting user's, whatever
                      the body said; status starts empty
    update            spec and status stay as they were (only metadata changes)
    /approval update  only status.conditions change (Approved, Denied, any other type)
    /status update    status changes, but Approved/Denied conditions stay as they were

Conditions written without timestamps get `lastUpdateTime` now and `lastTransitionTime`
from an old condition of the same type and status, else now. Validation
(`kubelite.api.validation.certificates`) then refuses what a path may not change.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

from kubelite.api import meta

APPROVAL_TYPES = ("Approved", "Denied")


class Requester(Protocol):
    user: str
    uid: str
    groups: tuple[str, ...]
    extra: dict[str, list[str]]


def prepare_for_create(csr: dict[str, Any], requester: Requester | None) -> None:
    spec = csr.get("spec")
    if not isinstance(spec, dict):
        return
    for field in ("username", "uid", "groups", "extra"):
        spec.pop(field, None)
    if requester is not None:
        if requester.user:
            spec["username"] = requester.user
        if requester.uid:
            spec["uid"] = requester.uid
        if requester.groups:
            spec["groups"] = list(requester.groups)
        if requester.extra:
            spec["extra"] = {k: list(v) for k, v in requester.extra.items()}
    csr["status"] = {}


def prepare_for_update(new: dict[str, Any], old: dict[str, Any]) -> None:
    _keep(new, old, "spec")
    _keep(new, old, "status")


def prepare_for_status_update(new: dict[str, Any], old: dict[str, Any]) -> None:
    for kind in APPROVAL_TYPES:
        _preserve_conditions(new, old, kind)
    _stamp_conditions(new, old)


def prepare_for_approval_update(new: dict[str, Any], old: dict[str, Any]) -> None:
    conditions = (new.get("status") or {}).get("conditions")
    _keep(new, old, "spec")
    status = copy.deepcopy(old.get("status") or {})
    if conditions:
        status["conditions"] = conditions
    else:
        status.pop("conditions", None)
    new["status"] = status
    _stamp_conditions(new, old)


def _keep(new: dict[str, Any], old: dict[str, Any], field: str) -> None:
    if field in old:
        new[field] = copy.deepcopy(old[field])
    else:
        new.pop(field, None)


def _conditions(obj: dict[str, Any]) -> list[dict[str, Any]]:
    status = obj.get("status")
    found = status.get("conditions") if isinstance(status, dict) else None
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def _preserve_conditions(new: dict[str, Any], old: dict[str, Any], kind: str) -> None:
    """Old instances of `kind` replace the new ones, unless instances were added or removed
    (validation refuses that)."""
    new_conditions = _conditions(new)
    old_of_kind = [c for c in _conditions(old) if c.get("type") == kind]
    new_indices = [i for i, c in enumerate(new_conditions) if c.get("type") == kind]
    if len(new_indices) != len(old_of_kind):
        return
    for i, before in zip(new_indices, old_of_kind, strict=True):
        new["status"]["conditions"][i] = copy.deepcopy(before)


def _stamp_conditions(new: dict[str, Any], old: dict[str, Any]) -> None:
    now = meta.now_rfc3339()
    previous = _conditions(old)
    for c in _conditions(new):
        c.setdefault("lastUpdateTime", now)
        if not c.get("lastTransitionTime"):
            match = next(
                (
                    o.get("lastTransitionTime")
                    for o in previous
                    if o.get("type") == c.get("type")
                    and o.get("status") == c.get("status")
                    and o.get("lastTransitionTime")
                ),
                None,
            )
            c["lastTransitionTime"] = match or now
