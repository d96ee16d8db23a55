"""The review requests of authorization.k8s.io/v1 and authentication.k8s.io/v1: objects that
ask a question (may this user do this? who is this token?) and are answered, never stored
(`kubelite.apiserver.reviews` answers them). Their metadata must be empty."""

from __future__ import annotations

from typing import Any

from kubelite.api.errors import invalid
from kubelite.api.validation.fields import Errors, as_dict, as_str

_EXACTLY_ONE = "exactly one of nonResourceAttributes or resourceAttributes must be specified"
_NOT_BOTH = "cannot be specified in combination with resourceAttributes"


def _attributes(spec: dict[str, Any]) -> Errors:
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if resource is not None and non_resource is not None:
        return [invalid("spec.nonResourceAttributes", non_resource, _NOT_BOTH)]
    if resource is None and non_resource is None:
        return [invalid("spec.resourceAttributes", None, _EXACTLY_ONE)]
    return []


def _subject(spec: dict[str, Any]) -> Errors:
    if not as_str(spec.get("user")) and not spec.get("groups"):
        return [
            invalid("spec.user", as_str(spec.get("user")), "at least one of user or group must be specified")
        ]
    return []


def _metadata(obj: dict[str, Any], *, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    ignored = ("managedFields", "creationTimestamp", *keep)
    return {k: v for k, v in as_dict(obj.get("metadata")).items() if k not in ignored and v not in ("", None)}


def validate_subject_access_review(sar: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(sar.get("spec"))
    errs = _attributes(spec) + _subject(spec)
    if _metadata(sar):
        errs.append(invalid("metadata", sar.get("metadata"), "must be empty"))
    return errs


def validate_self_subject_access_review(sar: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    errs = _attributes(as_dict(sar.get("spec")))
    if _metadata(sar):
        errs.append(invalid("metadata", sar.get("metadata"), "must be empty"))
    return errs


def validate_local_subject_access_review(sar: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(sar.get("spec"))
    errs = _attributes(spec) + _subject(spec)
    if _metadata(sar, keep=("namespace",)):
        errs.append(invalid("metadata", sar.get("metadata"), "must be empty except for namespace"))
    namespace = as_str(as_dict(sar.get("metadata")).get("namespace"))
    resource = spec.get("resourceAttributes")
    if resource is not None and as_str(as_dict(resource).get("namespace")) != namespace:
        errs.append(
            invalid(
                "spec.resourceAttributes.namespace",
                as_str(as_dict(resource).get("namespace")),
                "must match metadata.namespace",
            )
        )
    if spec.get("nonResourceAttributes") is not None:
        errs.append(
            invalid(
                "spec.nonResourceAttributes",
                spec["nonResourceAttributes"],
                "disallowed on this kind of request",
            )
        )
    return errs
