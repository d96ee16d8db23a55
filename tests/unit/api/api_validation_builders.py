"""Shared builders for the validation tests: defaulted objects and their error messages."""

import copy

from kubelite.api.defaults import apply_defaults
from kubelite.api.resources import default_catalog
from kubelite.api.validation import validate

CATALOG = default_catalog()


def resource(group, kind):
    return next(t for t in CATALOG if t.group == group and t.kind == kind)


def messages(group, kind, obj, old=None):
    """Default `obj` (and `old`) as the API server would, then validate; the messages."""
    rt = resource(group, kind)
    obj = copy.deepcopy(obj)
    apply_defaults(rt, obj)
    if old is not None:
        old = copy.deepcopy(old)
        apply_defaults(rt, old)
    return [e.message() for e in validate(rt, obj, old)]


def meta(name="x", namespace="default", **extra):
    m = {"name": name, **extra}
    if namespace:
        m["namespace"] = namespace
    return m


def container(name="app", image="nginx:1.25", **extra):
    return {"name": name, "image": image, **extra}


def pod(name="p", **spec):
    spec.setdefault("containers", [container()])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta(name), "spec": spec}


def template(labels=None, **spec):
    spec.setdefault("containers", [container()])
    return {"metadata": {"labels": {"app": "web"} if labels is None else labels}, "spec": spec}


def deployment(**spec):
    spec.setdefault("selector", {"matchLabels": {"app": "web"}})
    spec.setdefault("template", template())
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("web"), "spec": spec}
