"""Ephemeral containers, added to a running pod through `pods/{name}/ephemeralcontainers`.

Only `spec.ephemeralContainers` may change there, and only by adding: an existing one may
not be removed or changed. A new one needs a name unique among all the pod's containers and
an image, and may not have what makes no sense for a container that is never restarted nor
served (ports, probes, lifecycle hooks, resources, restartPolicy). Its
`targetContainerName`, if any, must name one of the pod's containers.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import FieldError, duplicate, forbidden, invalid, required
from kubelite.api.validation.fields import as_dict, as_list, as_str, child, index, not_found

PATH = "spec.ephemeralContainers"
_NOT_ALLOWED = (
    "ports",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "resources",
    "restartPolicy",
)


def _names(spec: dict[str, Any], kind: str) -> list[str]:
    return [as_str(as_dict(c).get("name")) for c in as_list(spec.get(kind))]


def _new_container(c: dict[str, Any], path: str, taken: set[str], targets: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    name = as_str(c.get("name"))
    if not name:
        errs.append(required(child(path, "name")))
    else:
        errs += [invalid(child(path, "name"), name, m) for m in names.is_dns1123_label(name)]
        if name in taken:
            errs.append(duplicate(child(path, "name"), name))
    if not as_str(c.get("image")):
        errs.append(required(child(path, "image")))
    for field in _NOT_ALLOWED:
        if c.get(field):
            errs.append(forbidden(child(path, field), "cannot be set for an Ephemeral Container"))
    target = c.get("targetContainerName")
    if target and target not in targets:
        errs.append(not_found(child(path, "targetContainerName"), target))
    return errs


def validate_ephemeral_containers_update(new: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    old = old or {}
    spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    now = {as_str(as_dict(c).get("name")): as_dict(c) for c in as_list(spec.get("ephemeralContainers"))}
    errs: list[FieldError] = []
    for c in as_list(old_spec.get("ephemeralContainers")):
        name = as_str(as_dict(c).get("name"))
        if name not in now:
            errs.append(forbidden(PATH, f'existing ephemeral containers "{name}" may not be removed\n'))
        elif now[name] != c:
            errs.append(forbidden(PATH, f'existing ephemeral containers "{name}" may not be changed\n'))
    old_names = set(_names(old_spec, "ephemeralContainers"))
    taken = set(_names(spec, "containers") + _names(spec, "initContainers"))
    targets = set(taken)
    for i, c in enumerate(as_list(spec.get("ephemeralContainers"))):
        name = as_str(as_dict(c).get("name"))
        if name not in old_names:
            errs += _new_container(as_dict(c), index(PATH, i), taken, targets)
        taken.add(name)
    return errs
