"""Routing a request to its handler: the verbs of stored resources, of each subresource and of
the resources that are not stored, and 405 for a method an endpoint does not serve."""

from __future__ import annotations

import pytest

from kubelite.api import errors
from kubelite.api.resources import default_catalog
from kubelite.apiserver import componentstatus, handlers, scale
from kubelite.apiserver.binding import bind
from kubelite.apiserver.dispatch import handler_for
from kubelite.apiserver.eviction import evict
from kubelite.apiserver.finalize import finalize_namespace
from kubelite.apiserver.patchhandler import patch_object
from kubelite.apiserver.request import parse_path

CATALOG = default_catalog()


def _route(method: str, path: str):
    info = parse_path(CATALOG, path)
    assert info is not None, path
    return handler_for(method, info)


@pytest.mark.parametrize(
    ("method", "path", "handler"),
    [
        ("GET", "/api/v1/namespaces/d/pods", handlers.list_objects),
        ("GET", "/api/v1/namespaces/d/pods/p", handlers.get_object),
        ("POST", "/api/v1/namespaces/d/pods", handlers.create_object),
        ("PUT", "/api/v1/namespaces/d/pods/p", handlers.update_object),
        ("PATCH", "/api/v1/namespaces/d/pods/p", patch_object),
        ("DELETE", "/api/v1/namespaces/d/pods/p", handlers.delete_object),
        ("DELETE", "/api/v1/namespaces/d/pods", handlers.delete_collection),
        ("GET", "/api/v1/namespaces/d/pods/p/status", handlers.get_object),
        ("PUT", "/api/v1/namespaces/d/pods/p/status", handlers.update_object),
        ("PATCH", "/api/v1/namespaces/d/pods/p/status", patch_object),
        ("POST", "/api/v1/namespaces/d/pods/p/binding", bind),
        ("POST", "/api/v1/namespaces/d/bindings", bind),
        ("POST", "/api/v1/namespaces/d/pods/p/eviction", evict),
        ("GET", "/apis/apps/v1/namespaces/d/deployments/x/scale", scale.get_scale),
        ("PUT", "/apis/apps/v1/namespaces/d/deployments/x/scale", scale.update_scale),
        ("PATCH", "/apis/apps/v1/namespaces/d/deployments/x/scale", patch_object),
        ("PUT", "/api/v1/namespaces/n/finalize", finalize_namespace),
        ("GET", "/api/v1/componentstatuses", componentstatus.list_component_statuses),
        ("GET", "/api/v1/componentstatuses/etcd-0", componentstatus.get_component_status),
    ],
)
def test_each_endpoint_and_method_has_its_handler(method: str, path: str, handler):
    assert _route(method, path) is handler


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/namespaces/d/pods/p"),  # create names no object
        ("PUT", "/api/v1/namespaces/d/pods"),  # update needs a name
        ("PATCH", "/api/v1/namespaces/d/pods"),
        ("DELETE", "/api/v1/namespaces/d/pods/p/status"),  # subresources are not deleted
        ("GET", "/api/v1/namespaces/d/pods/p/eviction"),
        ("PUT", "/api/v1/namespaces/d/pods/p/binding"),
        ("POST", "/apis/apps/v1/namespaces/d/deployments/x/scale"),
        ("DELETE", "/api/v1/componentstatuses/etcd-0"),  # not stored: read only
        ("POST", "/api/v1/componentstatuses"),
        ("GET", "/api/v1/namespaces/d/bindings"),
    ],
)
def test_a_method_the_endpoint_does_not_serve_is_405(method: str, path: str):
    with pytest.raises(errors.MethodNotAllowed):
        _route(method, path)
