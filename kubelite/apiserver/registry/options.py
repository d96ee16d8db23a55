"""What callers hand the registry with a request, and what a list answers with.

`RequestContext` carries who asks and how (dry run, field manager, field validation,
whether apply already computed managedFields); `ListOptions` and `DeleteOptions` are the
parsed query and body options; `Admission` is the shape of the per-kind hooks the write
path runs (ClusterIP allocation is one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubelite.api.resources import ResourceType
from kubelite.apiserver.watchcache import CachedObject


@dataclass(slots=True)
class RequestContext:
    user: str = ""
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: dict[str, list[str]] = field(default_factory=dict)
    dry_run: bool = False
    field_manager: str = ""
    warnings: list[str] = field(default_factory=list)
    field_validation: str = "Warn"  # Strict | Warn | Ignore
    operation: str = "Update"  # "Apply" when managedFields were computed by apply.py


@dataclass(slots=True)
class ListOptions:
    label_selector: Any = None  # kubelite.api.selectors.LabelSelector | None
    field_selector: Any = None  # kubelite.api.selectors.FieldSelector | None
    limit: int = 0
    continue_token: str = ""
    resource_version: str = ""
    resource_version_match: str = ""


@dataclass(slots=True)
class ListPage:
    items: list[CachedObject]
    resource_version: int
    continue_token: str = ""
    remaining: int | None = None


@dataclass(slots=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    preconditions: dict[str, Any] | None = None
    dry_run: bool = False


class Admission:
    """Per-kind hooks run inside the write path (mutating, then validating).

    `on_create(rt, obj, ctx)` and `on_update(rt, new, old, ctx)` may change the object or
    raise an APIError; `on_delete(rt, obj)` runs after an object is gone from storage.
    """

    async def on_create(self, rt: ResourceType, obj: dict[str, Any], ctx: RequestContext) -> None:
        return None

    async def on_update(
        self, rt: ResourceType, new: dict[str, Any], old: dict[str, Any], ctx: RequestContext
    ) -> None:
        return None

    async def on_create_failed(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        return None

    async def on_delete(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        return None
