"""Create and update: every kind through the same steps.

    create:  generateName -> server-set metadata -> prepare_for_create -> defaults
             -> managedFields -> mutating admission -> validation -> validating admission
             -> store.create
    update:  read fresh -> precondition (resourceVersion) -> mutate -> defaults
             -> prepare_for_update -> server-owned metadata -> managedFields
             -> mutating admission -> validation -> validating admission
             -> store.update (compare-and-swap)

Admission is `kubelite.apiserver.admission`'s chain (NamespaceLifecycle refuses a write into
a missing or terminating namespace first, as in Kubernetes).

Defaults come before the strategy on update because Kubernetes defaults a body when it
decodes it: the strategy then compares old and new with both defaulted, so a PUT that
leaves out defaulted fields changes nothing and does not bump `metadata.generation`.

An update that changes nothing is not written (the old object is returned). A lost
compare-and-swap race is retried from a fresh read, unless the caller pinned a
resourceVersion; then it is a 409, as in Kubernetes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import orjson

from kubelite.api import errors, meta
from kubelite.api.resources import ResourceType
from kubelite.apiserver import conversion, managedfields, strategy
from kubelite.apiserver.registry.core import RegistryCore, encode_for_store, namespace_finalizers
from kubelite.apiserver.registry.options import AdmissionAttributes, RequestContext
from kubelite.storage.interface import KeyExistsError, KeyNotFoundError, KeyValue, RevisionMismatchError

MAX_UPDATE_RETRIES = 16
_GENERATE_NAME_ATTEMPTS = 8


class Writes(RegistryCore):
    # ---- create ------------------------------------------------------------------------

    async def create(
        self, rt: ResourceType, namespace: str, obj: dict[str, Any], ctx: RequestContext
    ) -> dict[str, Any]:
        md = meta.metadata(obj)
        if rt.namespaced:
            md["namespace"] = namespace
        else:
            md.pop("namespace", None)
        generate = not md.get("name") and md.get("generateName")
        attempts = _GENERATE_NAME_ATTEMPTS if generate else 1
        for attempt in range(attempts):
            candidate = copy.deepcopy(obj) if generate else obj
            cmd = candidate["metadata"]
            if generate:
                cmd["name"] = meta.generated_name(cmd["generateName"])
            try:
                return await self._create_once(rt, candidate, ctx)
            except errors.AlreadyExists:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    async def _create_once(
        self, rt: ResourceType, obj: dict[str, Any], ctx: RequestContext
    ) -> dict[str, Any]:
        md = obj["metadata"]
        for k in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            md.pop(k, None)
        md["uid"] = meta.new_uid()
        md["creationTimestamp"] = meta.now_rfc3339()
        strategy.prepare_for_create(rt, obj, ctx)
        if self._defaults:
            self._defaults(rt, obj)
        if ctx.operation != managedfields.APPLY:
            managedfields.record_update(rt, obj, None, ctx.field_manager)
        name = md.get("name", "")
        attrs = AdmissionAttributes("CREATE", rt, md.get("namespace", ""), name, obj, None, ctx)
        await self.admission.admit(attrs)
        self._check(rt, obj, None)
        await self.admission.validate(attrs)
        if ctx.dry_run:
            if self.peek(rt, md.get("namespace", ""), name) is not None:
                raise errors.already_exists(rt.plural, rt.group, name)
            return obj
        try:
            kv = await self.store.create(rt.key(md.get("namespace", ""), name), encode_for_store(obj))
        except KeyExistsError:
            await self.admission.create_failed(rt, obj)
            raise errors.already_exists(rt.plural, rt.group, name) from None
        except BaseException:
            await self.admission.create_failed(rt, obj)
            raise
        md["resourceVersion"] = str(kv.mod_revision)
        return obj

    def _check(
        self, rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None, subresource: str = ""
    ) -> None:
        if self._validate is None:
            return
        if conversion.validates_external(rt):
            # Validators read the version the client wrote (events.k8s.io's `regarding`,
            # `note`, ...), not the stored core/v1 shape.
            obj = conversion.to_external(rt, obj)
            old = None if old is None else conversion.to_external(rt, old)
        errs = self._validate(rt, obj, old, subresource)
        if errs:
            raise errors.invalid_object(rt.kind, rt.group, meta.name_of(obj), errs)

    # ---- update ------------------------------------------------------------------------

    async def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        mutate: Callable[[dict[str, Any]], dict[str, Any]],
        ctx: RequestContext,
        *,
        subresource: str = "",
        pinned_rv: str = "",
    ) -> dict[str, Any]:
        """Read-modify-write: `mutate(copy_of_current) -> new object`.

        A `pinned_rv` (the client's metadata.resourceVersion) must equal the current one,
        else 409. Without it, a lost compare-and-swap race is retried from a fresh read.
        """
        await self.fresh()
        for _ in range(MAX_UPDATE_RETRIES):
            cur = self.peek(rt, namespace, name)
            if cur is None:
                raise errors.not_found(rt.plural, rt.group, name)
            if pinned_rv and pinned_rv != str(cur.revision):
                raise errors.conflict(rt.plural, rt.group, name)
            old = cur.obj
            new = mutate(orjson.loads(cur.json()))
            new = await self._prepare_update(rt, new, old, ctx, subresource)
            if _same(new, old):
                unchanged: dict[str, Any] = orjson.loads(cur.json())
                return unchanged
            if ctx.dry_run:
                return new
            try:
                kv = await self._write_update(rt, namespace, name, new, cur.revision)
            except RevisionMismatchError as err:
                if pinned_rv:
                    raise errors.conflict(rt.plural, rt.group, name) from None
                if err.current is not None:
                    await self.cache.wait_for(err.current.mod_revision)
                continue
            if kv is None:  # deleted because the last finalizer went away
                return new
            new["metadata"]["resourceVersion"] = str(kv.mod_revision)
            return new
        raise errors.conflict(rt.plural, rt.group, name, "too many concurrent updates")

    async def _prepare_update(
        self,
        rt: ResourceType,
        new: dict[str, Any],
        old: dict[str, Any],
        ctx: RequestContext,
        subresource: str,
    ) -> dict[str, Any]:
        md = meta.metadata(new)
        old_md = old["metadata"]
        if md.get("name") != old_md["name"]:
            raise errors.BadRequest(
                f"the name of the object ({md.get('name')}) does not match the name on the URL "
                f"({old_md['name']})"
            )
        if self._defaults:
            self._defaults(rt, new)
        if subresource == "binding":
            # pods/binding sets spec.nodeName and the PodScheduled condition, which an update
            # may not change; like Kubernetes' BindingREST it writes them without the update's
            # strategy and validation (the bind handler checked the target).
            return new
        strategy.prepare_for_subresource_update(rt, subresource, new, old)
        md = new["metadata"]
        # Fields the server owns.
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if k in old_md:
                md[k] = old_md[k]
            else:
                md.pop(k, None)
        if rt.namespaced:
            md["namespace"] = old_md.get("namespace", "")
        md.pop("selfLink", None)
        if ctx.operation != managedfields.APPLY:
            managedfields.record_update(rt, new, old, ctx.field_manager, subresource)
        attrs = AdmissionAttributes(
            "UPDATE", rt, old_md.get("namespace", ""), old_md["name"], new, old, ctx, subresource
        )
        await self.admission.admit(attrs)
        self._check(rt, new, old, subresource)
        await self.admission.validate(attrs)
        return new

    async def _write_update(
        self, rt: ResourceType, namespace: str, name: str, new: dict[str, Any], expected: int
    ) -> KeyValue | None:
        """Compare-and-swap the new object in; an object whose deletion was only waiting
        for the finalizers just removed is deleted instead (returns None)."""
        key = rt.key(namespace, name)
        md = new["metadata"]
        if (
            md.get("deletionTimestamp")
            and not md.get("finalizers")
            and not md.get("deletionGracePeriodSeconds")
            and not namespace_finalizers(rt, new)
        ):
            try:
                await self.store.delete(key, expected_revision=expected)
            except KeyNotFoundError:
                raise errors.not_found(rt.plural, rt.group, name) from None
            await self.admission.deleted(rt, new)
            return None
        try:
            return await self.store.update(key, encode_for_store(new), expected_revision=expected)
        except KeyNotFoundError:
            raise errors.not_found(rt.plural, rt.group, name) from None


def _same(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """True when an update would change nothing (so nothing is written, as Kubernetes)."""
    a, b = new.get("metadata", {}), old.get("metadata", {})
    rv_a, rv_b = a.pop("resourceVersion", None), b.get("resourceVersion")
    try:
        a["resourceVersion"] = rv_b
        return new == old
    finally:
        if rv_a is None:
            a.pop("resourceVersion", None)
        else:
            a["resourceVersion"] = rv_a
