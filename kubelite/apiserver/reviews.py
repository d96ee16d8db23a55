"""The review APIs: create-only resources that answer a question and store nothing.

    authorization.k8s.io/v1  SubjectAccessReview        may user U do V on R?
                             LocalSubjectAccessReview   the same, inside one namespace
                             SelfSubjectAccessReview    may I do V on R?    (kubectl auth can-i)
                             SelfSubjectRulesReview     what may I do in namespace N?
    authentication.k8s.io/v1 TokenReview                whose token is this?
                             SelfSubjectReview          who am I?           (kubectl auth whoami)

A POST is decoded and validated like any create, then answered with the same object and
its `status` filled in (201), from the API server's own authenticator and authorizer
(`authz.py`). None of them has a Table form: asking for one is a 406, as in Kubernetes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from kubelite.api import errors
from kubelite.api.validation import validate
from kubelite.apiserver.authn import AUTHENTICATOR, UserInfo
from kubelite.apiserver.authz import AlwaysAllow, Attributes, Authorizer, Decision
from kubelite.apiserver.handlers import decode_checked
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.request import (
    RequestInfo,
    check_type,
    request_context,
    require_verb,
    wants_table,
)
from kubelite.apiserver.responses import json_response

# Until RBAC: every authenticated request is allowed (see authz.py).
AUTHORIZER: Authorizer = AlwaysAllow()
ACCEPTED_MEDIA_TYPES = "application/json, application/yaml, application/vnd.kubernetes.protobuf"

Answer = Callable[[dict[str, Any], web.Request, RequestInfo], dict[str, Any]]


async def create_review(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    rt = info.rt
    require_verb(rt, "create")
    refuse_table(request.headers.get("Accept", ""))
    ctx = request_context(request)
    body = decode_checked(rt, await request.read(), request.headers.get("Content-Type", ""), ctx)
    check_type(rt, body)
    md = body["metadata"]
    if rt.namespaced:
        if md.get("namespace") and md["namespace"] != info.namespace:
            raise errors.BadRequest(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        md["namespace"] = info.namespace
    answered = _ANSWERS[rt.kind](body, request, info)
    answered.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    return json_response(orjson.dumps(answered), 201, ctx)


def refuse_table(accept: str) -> None:
    """406 when every media type the client accepts is a Table conversion."""
    if not wants_table(accept):
        return
    plain = [r for r in accept.split(",") if r.strip() and "as=" not in r]
    if not plain:
        raise errors.NotAcceptable(f"only the following media types are accepted: {ACCEPTED_MEDIA_TYPES}")


def _check(body: dict[str, Any], info: RequestInfo) -> None:
    errs = validate(info.rt, body)
    if errs:
        raise errors.invalid_object(info.rt.kind, info.rt.group, "", errs)


def _requester(request: web.Request) -> UserInfo:
    user = request.get("user")
    if not isinstance(user, UserInfo):
        raise errors.BadRequest("no user present on request")
    return user


def _attributes(spec: dict[str, Any], user: UserInfo) -> Attributes:
    who = Attributes(user.name, user.groups, user.uid, dict(user.extra))
    resource = spec.get("resourceAttributes")
    if isinstance(resource, dict):
        return dataclasses.replace(
            who,
            verb=str(resource.get("verb") or ""),
            namespace=str(resource.get("namespace") or ""),
            group=str(resource.get("group") or ""),
            version=str(resource.get("version") or ""),
            resource=str(resource.get("resource") or ""),
            subresource=str(resource.get("subresource") or ""),
            name=str(resource.get("name") or ""),
        )
    non_resource = spec.get("nonResourceAttributes") or {}
    return dataclasses.replace(
        who, verb=str(non_resource.get("verb") or ""), path=str(non_resource.get("path") or "/")
    )


def _decide(attributes: Attributes) -> dict[str, Any]:
    decision, reason = AUTHORIZER.authorize(attributes)
    status: dict[str, Any] = {"allowed": decision is Decision.ALLOW}
    if decision is Decision.DENY:
        status["denied"] = True
    if reason:
        status["reason"] = reason
    return status


def _spec_user(spec: dict[str, Any]) -> UserInfo:
    extra = spec.get("extra") if isinstance(spec.get("extra"), dict) else {}
    return UserInfo(
        str(spec.get("user") or ""),
        str(spec.get("uid") or ""),
        tuple(spec.get("groups") or ()),
        {str(k): list(v or ()) for k, v in (extra or {}).items()},
    )


def _subject_access_review(body: dict[str, Any], request: web.Request, info: RequestInfo) -> dict[str, Any]:
    _check(body, info)
    spec = body.get("spec") or {}
    body["status"] = _decide(_attributes(spec, _spec_user(spec)))
    return body


def _local_subject_access_review(
    body: dict[str, Any], request: web.Request, info: RequestInfo
) -> dict[str, Any]:
    _check(body, info)
    if not info.namespace:
        raise errors.BadRequest("namespace is required on this type: ")
    spec = body.get("spec") or {}
    body["status"] = _decide(_attributes(spec, _spec_user(spec)))
    return body


def _self_subject_access_review(
    body: dict[str, Any], request: web.Request, info: RequestInfo
) -> dict[str, Any]:
    _check(body, info)
    body["status"] = _decide(_attributes(body.get("spec") or {}, _requester(request)))
    return body


def _self_subject_rules_review(
    body: dict[str, Any], request: web.Request, info: RequestInfo
) -> dict[str, Any]:
    user = _requester(request)
    namespace = (body.get("spec") or {}).get("namespace") or ""
    if not namespace:
        raise errors.BadRequest("no namespace on request")
    rules = AUTHORIZER.rules_for(Attributes(user.name, user.groups, user.uid, dict(user.extra)), namespace)
    return {
        "kind": body["kind"],
        "apiVersion": body["apiVersion"],
        "metadata": {},
        "spec": {},
        "status": {
            "resourceRules": rules.resource_rules,
            "nonResourceRules": rules.non_resource_rules,
            "incomplete": rules.incomplete,
        },
    }


def _user_info(user: UserInfo) -> dict[str, Any]:
    info: dict[str, Any] = {"username": user.name}
    if user.uid:
        info["uid"] = user.uid
    if user.groups:
        info["groups"] = list(user.groups)
    if user.extra:
        info["extra"] = {k: list(v) for k, v in user.extra.items()}
    return info


def _token_review(body: dict[str, Any], request: web.Request, info: RequestInfo) -> dict[str, Any]:
    spec = body.get("spec") or {}
    token = spec.get("token") or ""
    if not token:
        raise errors.BadRequest("token is required for TokenReview in authentication")
    user = request.app[AUTHENTICATOR].authenticate_token(str(token))
    status: dict[str, Any] = {"user": {}}
    if user is not None:
        status = {"authenticated": True, "user": _user_info(user)}
        if spec.get("audiences"):
            status["audiences"] = list(spec["audiences"])
    body["status"] = status
    return body


def _self_subject_review(body: dict[str, Any], request: web.Request, info: RequestInfo) -> dict[str, Any]:
    return {
        "kind": body["kind"],
        "apiVersion": body["apiVersion"],
        "metadata": {},
        "status": {"userInfo": _user_info(_requester(request))},
    }


_ANSWERS: dict[str, Answer] = {
    "SubjectAccessReview": _subject_access_review,
    "LocalSubjectAccessReview": _local_subject_access_review,
    "SelfSubjectAccessReview": _self_subject_access_review,
    "SelfSubjectRulesReview": _self_subject_rules_review,
    "TokenReview": _token_review,
    "SelfSubjectReview": _self_subject_review,
}
