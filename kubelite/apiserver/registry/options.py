"""What callers hand the registry with a request, and what a list answers with.

`RequestContext` carries who asks and how (dry run, field manager, field validation,
whether apply already computed managedFields); `ListOptions` and `DeleteOptions` are the
parsed query and body options; `AdmissionAttributes` and `Admission` are what the write
path hands the admission chain and the chain's shape.
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


@dataclass(slots=True)
class AdmissionAttributes:
    """What admission sees of one write: Kubernetes' admission.Attributes.

    `obj` is the object being written (None for DELETE), `old` the stored one (UPDATE and
    DELETE). Mutating plugins may change `obj`; validating plugins must not.
    """

    operation: str  # CREATE | UPDATE | DELETE
    rt: ResourceType
    namespace: str
    name: str
    obj: dict[str, Any] | None
    old: dict[str, Any] | None
    ctx: RequestContext
    subresource: str = ""

    @property
    def dry_run(self) -> bool:
        return self.ctx.dry_run


class Admission:
    """The admission seam of the write path (the chain in `kubelite.apiserver.admission`).

    `admit` runs the mutating plugins before validation, `validate` the validating ones
    after it; either may raise an APIError to refuse the write. `create_failed` undoes what
    admission reserved for an object that was then not stored (a ClusterIP, quota usage);
    `deleted` runs after an object is gone from storage. This base admits everything.
    """

    async def admit(self, attrs: AdmissionAttributes) -> None:
        return None

    async def validate(self, attrs: AdmissionAttributes) -> None:
        return None

    async def create_failed(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        return None

    async def deleted(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        return None
