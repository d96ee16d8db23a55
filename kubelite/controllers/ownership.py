"""Controller references: which object manages which, and how a controller claims objects.

Every object a workload controller manages carries an ownerReference to it with
`controller: true` (at most one such reference per object) and `blockOwnerDeletion: true`
(so a foreground deletion of the owner waits for it). A controller finds its objects by
label selector, then *claims* them, as Kubernetes' ControllerRefManager does:

    object's controller ref   selector matches        outcome
    ───────────────────────   ────────────────        ───────────────────────────────────
    this controller           yes                     ours
    this controller           no                      released: our ref removed (unless
                                                      we are being deleted)
    another controller        -                       not ours, left alone
    none (an orphan)          yes, not terminating    adopted: our ref added (unless we
                                                      are being deleted: checked once,
                                                      against a fresh read of ourselves)

Adoption and release are strategic merge patches of `metadata.ownerReferences` keyed by
uid that also carry the object's uid, so a patch can never land on a namesake created
after the one the cache showed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.resource import PatchType, ResourceClient
from kubelite.client.store import Indexer

log = logging.getLogger("kubelite.controllers.ownership")

CONTROLLER_UID_INDEX = "controllerUID"


def controller_ref(obj: Object) -> Object | None:
    """The ownerReference with `controller: true`, if any."""
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def new_controller_ref(owner: Object, api_version: str, kind: str) -> Object:
    md = owner["metadata"]
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": md["name"],
        "uid": md["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def by_controller_uid(obj: Object) -> list[str]:
    """Index function: the uid of the object's controller, or `orphan/<namespace>` for an
    object with none, so a controller finds its own objects and the candidates to adopt
    without scanning the namespace."""
    ref = controller_ref(obj)
    if ref is not None:
        return [ref["uid"]]
    return [f"orphan/{obj['metadata'].get('namespace', '')}"]


def orphan_index_value(namespace: str) -> str:
    return f"orphan/{namespace}"


def claim_candidates(
    indexer: Indexer, owner: Object, orphan_filter: Callable[[Object], bool] | None = None
) -> list[Object]:
    """What `owner` controls, and the orphans of its namespace it might adopt (those
    `orphan_filter` keeps), from an indexer with the CONTROLLER_UID_INDEX."""
    md = owner["metadata"]
    orphans = indexer.by_index(CONTROLLER_UID_INDEX, orphan_index_value(md.get("namespace", "")))
    if orphan_filter is not None:
        orphans = [o for o in orphans if orphan_filter(o)]
    return indexer.by_index(CONTROLLER_UID_INDEX, md["uid"]) + orphans


class ControllerRefManager:
    """Claims objects of one resource for one controller object (`owner`)."""

    def __init__(
        self,
        resources: ResourceClient,
        owner: Object,
        *,
        api_version: str,
        kind: str,
        can_adopt: Callable[[], Awaitable[None]],
    ) -> None:
        self.resources = resources
        self.owner = owner
        self.api_version = api_version
        self.kind = kind
        self._can_adopt = can_adopt
        self._adopt_checked: BaseException | None | bool = False

    @classmethod
    def rechecking(
        cls, resources: ResourceClient, owner: Object, owners: ResourceClient, *, api_version: str, kind: str
    ) -> ControllerRefManager:
        """A manager whose adoptions first read `owner` afresh through `owners` and refuse
        when it was replaced or is being deleted (recheck_deletion_timestamp)."""
        md = owner["metadata"]

        def get_fresh() -> Awaitable[Object]:
            return owners.get(md["name"], namespace=md.get("namespace"))

        recheck = recheck_deletion_timestamp(get_fresh, owner, kind)
        return cls(resources, owner, api_version=api_version, kind=kind, can_adopt=recheck)

    @property
    def owner_uid(self) -> str:
        return str(self.owner["metadata"]["uid"])

    def _deleting(self) -> bool:
        return bool(self.owner["metadata"].get("deletionTimestamp"))

    async def claim(self, objs: list[Object], matches: Callable[[Object], bool]) -> list[Object]:
        """The objects that are ours after adopting orphans and releasing strays; raises
        the first error after trying every object (a failed adoption is retried later)."""
        claimed: list[Object] = []
        failures: list[Exception] = []
        for obj in objs:
            try:
                if await self._claim_one(obj, matches):
                    claimed.append(obj)
            except errors.APIError as err:
                failures.append(err)
            except CannotAdopt as err:
                failures.append(err)
        if failures:
            raise failures[0]
        return claimed

    async def _claim_one(self, obj: Object, matches: Callable[[Object], bool]) -> bool:
        ref = controller_ref(obj)
        md = obj["metadata"]
        if ref is not None:
            if ref.get("uid") != self.owner_uid:
                return False
            if matches(obj):
                return True
            if not self._deleting():
                await self._release(obj)
            return False
        if self._deleting() or not matches(obj) or md.get("deletionTimestamp"):
            return False
        if self.owner["metadata"].get("namespace") not in (None, "", md.get("namespace")):
            return False
        return await self._adopt(obj)

    async def _check_can_adopt(self) -> None:
        if self._adopt_checked is False:
            try:
                await self._can_adopt()
                self._adopt_checked = None
            except CannotAdopt as err:
                self._adopt_checked = err
        if isinstance(self._adopt_checked, BaseException):
            raise self._adopt_checked

    async def _adopt(self, obj: Object) -> bool:
        md = obj["metadata"]
        try:
            await self._check_can_adopt()
        except CannotAdopt as err:
            raise CannotAdopt(
                f"can't adopt {self.resources.resource.kind} {md.get('namespace')}/{md['name']} "
                f"({md.get('uid')}): {err}"
            ) from None
        patch = {
            "metadata": {
                "ownerReferences": [new_controller_ref(self.owner, self.api_version, self.kind)],
                "uid": md["uid"],
            }
        }
        try:
            await self.resources.patch(
                md["name"], patch, namespace=md.get("namespace"), patch_type=PatchType.STRATEGIC
            )
        except errors.NotFound:
            return False
        return True

    async def _release(self, obj: Object) -> None:
        md = obj["metadata"]
        patch = {
            "metadata": {"ownerReferences": [{"$patch": "delete", "uid": self.owner_uid}], "uid": md["uid"]}
        }
        try:
            await self.resources.patch(
                md["name"], patch, namespace=md.get("namespace"), patch_type=PatchType.STRATEGIC
            )
        except (errors.NotFound, errors.Invalid):
            # Gone, or replaced by a namesake (uid mismatch): nothing of ours to release.
            pass


class CannotAdopt(Exception):
    """The owner is gone or being deleted: it must not adopt anything."""


def recheck_deletion_timestamp(
    get_fresh: Callable[[], Awaitable[Object]], owner: Object, kind: str
) -> Callable[[], Awaitable[None]]:
    """A `can_adopt` that reads the owner afresh (not from the cache) and refuses when it
    was replaced or is being deleted, as Kubernetes' RecheckDeletionTimestamp."""

    async def check() -> None:
        md = owner["metadata"]
        fresh = await get_fresh()
        fmd = fresh["metadata"]
        if fmd.get("uid") != md.get("uid"):
            raise CannotAdopt(
                f"original {kind} {md.get('namespace')}/{md['name']} is gone: got uid {fmd.get('uid')}, "
                f"wanted {md.get('uid')}"
            )
        if fmd.get("deletionTimestamp"):
            raise CannotAdopt(
                f"{kind} {md.get('namespace')}/{md['name']} has just been deleted "
                f"at {fmd['deletionTimestamp']}"
            )

    return check
