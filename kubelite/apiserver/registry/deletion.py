"""Delete: preconditions, then either a final delete or a mark for deletion.

    preconditions (uid, resourceVersion: 409) -> validating admission (DELETE)
      -> propagation policy recorded as garbage-collector finalizers
      -> finalizers left, a Namespace's spec.finalizers, or a grace period (a pod on a node)?
           yes: set deletionTimestamp (+ deletionGracePeriodSeconds); the object stays
                until the finalizers are gone (writes.py deletes it then) or the kubelet
                deletes it with grace 0
           no:  store.delete; admission's `deleted` (release a ClusterIP, ...)

Kinds in `RETURNS_DELETED_OBJECT` answer a DELETE with the object, the rest with a Status.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from kubelite.api import errors, meta
from kubelite.api.resources import ResourceType
from kubelite.apiserver import strategy
from kubelite.apiserver.registry.core import RegistryCore, encode_for_store, namespace_finalizers
from kubelite.apiserver.registry.options import AdmissionAttributes, DeleteOptions, RequestContext
from kubelite.apiserver.registry.writes import MAX_UPDATE_RETRIES
from kubelite.apiserver.watchcache import CachedObject
from kubelite.storage.interface import KeyNotFoundError, RevisionMismatchError

# Kinds whose DELETE answers with the deleted object rather than a Status (as Kubernetes).
RETURNS_DELETED_OBJECT = frozenset(
    {
        ("", "pods"),
        ("", "services"),
        ("", "serviceaccounts"),
        ("", "persistentvolumes"),
        ("", "persistentvolumeclaims"),
        ("", "podtemplates"),
        ("", "resourcequotas"),
    }
)


class Deletion(RegistryCore):
    async def delete(
        self, rt: ResourceType, namespace: str, name: str, opts: DeleteOptions, ctx: RequestContext
    ) -> tuple[dict[str, Any], bool]:
        """Delete or mark for deletion. Returns (object, gone_now)."""
        await self.fresh()
        for _ in range(MAX_UPDATE_RETRIES):
            cur = self.peek(rt, namespace, name)
            if cur is None:
                raise errors.not_found(rt.plural, rt.group, name)
            _check_preconditions(rt, cur, opts)
            obj = orjson.loads(cur.json())
            await self.admission.validate(AdmissionAttributes("DELETE", rt, namespace, name, None, obj, ctx))
            md = obj["metadata"]
            grace = _grace_period(rt, obj, opts)
            gc_changed = _garbage_collection_finalizers(obj, opts.propagation_policy)
            gc_changed = strategy.prepare_for_delete(rt, obj) or gc_changed
            pending = bool(md.get("finalizers")) or namespace_finalizers(rt, obj) or grace > 0
            if pending:
                if not _mark_deleting(rt, obj, grace) and not gc_changed:
                    return obj, False
                if ctx.dry_run:
                    return obj, False
                try:
                    kv = await self.store.update(
                        rt.key(namespace, name), encode_for_store(obj), expected_revision=cur.revision
                    )
                except RevisionMismatchError:
                    continue
                except KeyNotFoundError:
                    raise errors.not_found(rt.plural, rt.group, name) from None
                md["resourceVersion"] = str(kv.mod_revision)
                return obj, False
            if ctx.dry_run:
                return obj, True
            try:
                kv = await self.store.delete(rt.key(namespace, name), expected_revision=cur.revision)
            except RevisionMismatchError:
                continue
            except KeyNotFoundError:
                raise errors.not_found(rt.plural, rt.group, name) from None
            await self.admission.deleted(rt, obj)
            md["resourceVersion"] = str(kv.mod_revision)
            return obj, True
        raise errors.conflict(rt.plural, rt.group, name, "too many concurrent updates")


def _check_preconditions(rt: ResourceType, cur: CachedObject, opts: DeleteOptions) -> None:
    pre = opts.preconditions or {}
    md = cur.obj["metadata"]
    uid, rv = pre.get("uid"), pre.get("resourceVersion")
    if uid and uid != md.get("uid"):
        raise errors.conflict(
            rt.plural,
            rt.group,
            md["name"],
            f"Precondition failed: UID in precondition: {uid}, UID in object meta: {md.get('uid')}",
        )
    if rv and rv != str(cur.revision):
        raise errors.conflict(
            rt.plural,
            rt.group,
            md["name"],
            f"Precondition failed: ResourceVersion in precondition: {rv}, "
            f"ResourceVersion in object meta: {cur.revision}",
        )


def _grace_period(rt: ResourceType, obj: dict[str, Any], opts: DeleteOptions) -> int:
    """Seconds of graceful deletion: only pods running on a node get any."""
    if not (rt.group == "" and rt.kind == "Pod"):
        return 0
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
        return 0
    if opts.grace_period_seconds is not None:
        grace = opts.grace_period_seconds
    else:
        grace = spec.get("terminationGracePeriodSeconds", 30)
    return max(0, int(grace))


_ORPHAN, _FOREGROUND = "orphan", "foregroundDeletion"


def _garbage_collection_finalizers(obj: dict[str, Any], policy: str | None) -> bool:
    """Record the propagation policy as Kubernetes does, in the garbage collector's finalizers:
    Orphan adds `orphan`, Foreground adds `foregroundDeletion`, Background drops both.
    True when the finalizers changed. (The garbage collector removes them; see
    docs/compatibility.md until kubelite has one.)"""
    if not policy:
        return False
    md = obj["metadata"]
    before = list(md.get("finalizers") or [])
    after = [f for f in before if f not in (_ORPHAN, _FOREGROUND)]
    if policy == "Orphan":
        after.append(_ORPHAN)
    elif policy == "Foreground":
        after.append(_FOREGROUND)
    if after == before:
        return False
    if after:
        md["finalizers"] = after
    else:
        md.pop("finalizers", None)
    return True


def _mark_deleting(rt: ResourceType, obj: dict[str, Any], grace: int) -> bool:
    """Set deletionTimestamp (or shorten a pending grace). False when nothing changes."""
    md = obj["metadata"]
    now = meta.now()
    if md.get("deletionTimestamp"):
        current = md.get("deletionGracePeriodSeconds") or 0
        if grace >= current:
            return False
        md["deletionGracePeriodSeconds"] = grace
        md["deletionTimestamp"] = meta.format_time(now + dt.timedelta(seconds=grace))
        return True
    md["deletionTimestamp"] = meta.format_time(now + dt.timedelta(seconds=grace))
    md["deletionGracePeriodSeconds"] = grace
    if strategy.has_generation(rt):
        md["generation"] = md.get("generation", 1) + 1
    if rt.group == "" and rt.kind == "Namespace":
        obj.setdefault("status", {})["phase"] = "Terminating"
    return True
