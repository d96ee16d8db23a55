"""Which handler serves a request: one table for resources, subresources and the resources
that are not stored.

    method + path                          handler
    GET    …/{resource}                    list_objects (a watch with ?watch=true)
    GET    …/{resource}/{name}             get_object
    POST   …/{resource}                    create_object
    PUT    …/{resource}/{name}             update_object
    PATCH  …/{resource}/{name}             patch_object
    DELETE …/{resource}/{name}             delete_object
    DELETE …/{resource}                    delete_collection
    …/{resource}/{name}/{subresource}      SUBRESOURCES[subresource], per method
    (group, resource) in SPECIAL_RESOURCES that resource's own handlers

A new subresource (log, exec, proxy, token, ...) or a resource with its own semantics (the
review APIs) is one entry here; a method the entry does not list answers 405, as Kubernetes
does. A connect subresource (log, exec, attach, portforward, proxy) has one handler for the
methods Kubernetes' connecter takes. The path has already been matched to a served resource
(`request.parse_path`), and a subresource to one the resource declares
(`ResourceType.has_subresource`).
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelite.apiserver import componentstatus, podlog, podstreams, proxy, reviews, scale
from kubelite.apiserver.binding import bind
from kubelite.apiserver.eviction import evict
from kubelite.apiserver.finalize import finalize_namespace
from kubelite.apiserver.handlers import (
    Handler,
    create_object,
    delete_collection,
    delete_object,
    get_object,
    list_objects,
    update_object,
)
from kubelite.apiserver.patchhandler import patch_object
from kubelite.apiserver.request import RequestInfo, method_not_allowed
from kubelite.apiserver.tokenrequest import create_token


@dataclass(frozen=True, slots=True)
class Verbs:
    """The handlers of one endpoint, by HTTP method (None: 405 Method Not Allowed)."""

    get: Handler | None = None  # GET with a name
    list: Handler | None = None  # GET without a name
    create: Handler | None = None  # POST
    update: Handler | None = None  # PUT
    patch: Handler | None = None  # PATCH
    delete: Handler | None = None  # DELETE with a name
    delete_collection: Handler | None = None  # DELETE without a name
    connect: Handler | None = None  # a connect subresource: this handler for `connect_methods`
    connect_methods: frozenset[str] = frozenset()


def connect(handler: Handler, *methods: str) -> Verbs:
    return Verbs(connect=handler, connect_methods=frozenset(methods))


STORED = Verbs(
    get=get_object,
    list=list_objects,
    create=create_object,
    update=update_object,
    patch=patch_object,
    delete=delete_object,
    delete_collection=delete_collection,
)

SUBRESOURCES: dict[str, Verbs] = {
    # The main object's verbs, restricted to its status by the registry's strategy.
    "status": Verbs(get=get_object, update=update_object, patch=patch_object),
    "scale": Verbs(get=scale.get_scale, update=scale.update_scale, patch=patch_object),
    "binding": Verbs(create=bind),
    "eviction": Verbs(create=evict),
    "finalize": Verbs(update=finalize_namespace),
    # carried on to the pod's kubelet (podlog.py, podstreams.py) or to a pod, service or node
    "log": connect(podlog.pod_log, "GET"),
    "exec": connect(podstreams.pod_exec, "GET", "POST"),
    "attach": connect(podstreams.pod_attach, "GET", "POST"),
    "portforward": connect(podstreams.pod_portforward, "GET", "POST"),
    "proxy": connect(proxy.proxy, "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
    # pods/ephemeralcontainers: only spec.ephemeralContainers changes (strategy.py), only by adding.
    "ephemeralcontainers": Verbs(get=get_object, update=update_object, patch=patch_object),
    # A CertificateSigningRequest's conditions (approve, deny), restricted by the strategy.
    "approval": Verbs(get=get_object, update=update_object, patch=patch_object),
    # serviceaccounts/token: a signed, bound service account token.
    "token": Verbs(create=create_token),
}

_REVIEW = Verbs(create=reviews.create_review)

SPECIAL_RESOURCES: dict[tuple[str, str], Verbs] = {
    ("", "componentstatuses"): Verbs(
        get=componentstatus.get_component_status, list=componentstatus.list_component_statuses
    ),
    ("", "bindings"): Verbs(create=bind),
    ("authorization.k8s.io", "subjectaccessreviews"): _REVIEW,
    ("authorization.k8s.io", "localsubjectaccessreviews"): _REVIEW,
    ("authorization.k8s.io", "selfsubjectaccessreviews"): _REVIEW,
    ("authorization.k8s.io", "selfsubjectrulesreviews"): _REVIEW,
    ("authentication.k8s.io", "tokenreviews"): _REVIEW,
    ("authentication.k8s.io", "selfsubjectreviews"): _REVIEW,
}


def handler_for(method: str, info: RequestInfo) -> Handler:
    """The handler of `method` on the endpoint `info` names; 405 when it has none."""
    by_method: dict[str, Handler | None]
    if info.subresource:
        sub = SUBRESOURCES.get(info.subresource, Verbs())
        if sub.connect is not None:
            by_method = {m: sub.connect for m in sub.connect_methods}
        else:
            by_method = {"GET": sub.get, "POST": sub.create, "PUT": sub.update, "PATCH": sub.patch}
    else:
        verbs = SPECIAL_RESOURCES.get((info.rt.group, info.rt.plural), STORED)
        if info.name:
            by_method = {"GET": verbs.get, "PUT": verbs.update, "PATCH": verbs.patch, "DELETE": verbs.delete}
        else:
            by_method = {"GET": verbs.list, "POST": verbs.create, "DELETE": verbs.delete_collection}
    handler = by_method.get(method)
    if handler is None:
        raise method_not_allowed()
    return handler
