"""Authorization: may this user do this?

Kubernetes asks an authorizer with the request's attributes (user, verb, resource or
non-resource path) and gets allow, deny or no opinion, with a reason. kubelite's API
server allows every authenticated request today (`AlwaysAllow`, Kubernetes'
`--authorization-mode=AlwaysAllow`); RBAC and the Node authorizer will implement the same
`Authorizer` Protocol. The review APIs (`reviews.py`) answer from it, so `kubectl auth
can-i` tells the truth about the server as it is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol


class Decision(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"
    NO_OPINION = "no-opinion"


@dataclass(slots=True, frozen=True)
class Attributes:
    """What is asked: a user and either a resource request or a non-resource path."""

    user: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: dict[str, list[str]] = field(default_factory=dict)
    verb: str = ""
    namespace: str = ""
    group: str = ""
    version: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    path: str = ""  # set for non-resource requests

    @property
    def is_resource_request(self) -> bool:
        return not self.path


@dataclass(slots=True, frozen=True)
class Rules:
    """What a user may do in a namespace, as SelfSubjectRulesReview reports it."""

    resource_rules: list[dict[str, Any]]
    non_resource_rules: list[dict[str, Any]]
    incomplete: bool = False


class Authorizer(Protocol):
    def authorize(self, attributes: Attributes) -> tuple[Decision, str]:
        """The decision and its reason. Must not block; called once per request."""
        ...

    def rules_for(self, user: Attributes, namespace: str) -> Rules:
        """Every rule that applies to `user` in `namespace` (only user fields are read)."""
        ...


class AlwaysAllow:
    """Every request is allowed; the reason is empty, as Kubernetes' AlwaysAllow gives it."""

    def authorize(self, attributes: Attributes) -> tuple[Decision, str]:
        return Decision.ALLOW, ""

    def rules_for(self, user: Attributes, namespace: str) -> Rules:
        return Rules(
            resource_rules=[{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            non_resource_rules=[{"verbs": ["*"], "nonResourceURLs": ["*"]}],
        )
