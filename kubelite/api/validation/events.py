"""Events: core/v1 Event (lenient, unless it sets eventTime) and events.k8s.io/v1 Event."""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import invalid, required
from kubelite.api.validation.fields import Errors, as_dict, as_str

_EVENT_LIMITS = {"reportingInstance": 128, "action": 128, "reason": 128}
NOTE_LIMIT = 1024


def validate_core_event(ev: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    """core/v1 Events keep their old, lenient rules; set `eventTime` and they get the new ones."""
    namespace = as_str(as_dict(ev.get("metadata")).get("namespace"))
    involved = as_str(as_dict(ev.get("involvedObject")).get("namespace"))
    errs: Errors = []
    if not ev.get("eventTime"):
        if (involved and involved != namespace) or (not involved and namespace not in ("", "default")):
            errs.append(invalid("involvedObject.namespace", involved, "does not match event.namespace"))
    else:
        if not involved and namespace not in ("default", "kube-system"):
            errs.append(invalid("involvedObject.namespace", involved, "does not match event.namespace"))
        errs += _reporting(ev, "reportingComponent", "message")
    errs += [invalid("namespace", namespace, m) for m in names.is_dns1123_subdomain(namespace)]
    return errs


def validate_events_event(ev: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    """events.k8s.io/v1 Events: the strict rules."""
    errs: Errors = []
    if not ev.get("eventTime"):
        errs.append(required("eventTime"))
    if ev.get("type") not in ("Normal", "Warning"):
        errs.append(invalid("type", "", f"has invalid value: {as_str(ev.get('type'))}"))
    for field in ("deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount"):
        if ev.get(field):
            errs.append(invalid(field, "", "needs to be unset"))
    namespace = as_str(as_dict(ev.get("metadata")).get("namespace"))
    regarding = as_str(as_dict(ev.get("regarding")).get("namespace"))
    if not regarding and namespace not in ("default", "kube-system"):
        errs.append(invalid("regarding.namespace", regarding, "does not match event.namespace"))
    return errs + _reporting(ev, "reportingController", "note")


def _reporting(ev: dict[str, Any], controller_field: str, note_field: str) -> Errors:
    errs: Errors = []
    controller = as_str(ev.get("reportingController") or ev.get("reportingComponent"))
    if not controller:
        errs.append(required(controller_field))
    errs += [invalid(controller_field, controller, m) for m in names.is_qualified_name(controller)]
    for field, limit in _EVENT_LIMITS.items():
        value = as_str(ev.get(field))
        if not value:
            errs.append(required(field))
        elif len(value) > limit:
            errs.append(invalid(field, "", f"can have at most {limit} characters"))
    note = as_str(ev.get(note_field))
    if len(note) > NOTE_LIMIT:
        errs.append(invalid(note_field, "", f"can have at most {NOTE_LIMIT} characters"))
    return errs
