"""batch/v1: Job and CronJob.

A Job's pods must end, so its template's `restartPolicy` must be OnFailure or Never (the
pod-spec default Always is refused with "Required value", as Kubernetes words it). The API
server generates a Job's selector and template labels before validation runs; validation
then only checks that they agree. A CronJob's job template may not carry a selector.
"""

from __future__ import annotations

import copy
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kubelite.api import names
from kubelite.api.errors import invalid, not_supported, required
from kubelite.api.validation import cron
from kubelite.api.validation.fields import (
    Errors,
    as_dict,
    child,
    go_label_selector,
    go_string_map,
    is_int,
    nonnegative,
)
from kubelite.api.validation.meta import (
    selector_converts,
    selector_matches,
    validate_annotations,
    validate_label_selector,
    validate_labels,
)
from kubelite.api.validation.pod import validate_pod_template_spec

MAX_PARALLELISM_INDEXED = 100_000
MAX_CRONJOB_NAME = 52  # the Job name gets an 11-character suffix and must stay a DNS label
_SCHEDULING_FIELDS = ("nodeSelector", "affinity", "tolerations", "schedulingGates")


# ---- Job ----------------------------------------------------------------------------------


def validate_job_spec(spec: dict[str, Any], path: str) -> Errors:
    """The rules a Job spec and a CronJob's job template share."""
    errs: Errors = []
    for field in (
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
        "backoffLimitPerIndex",
        "maxFailedIndexes",
    ):
        errs += nonnegative(spec.get(field), child(path, field))
    mode = spec.get("completionMode")
    if mode is not None:
        if mode not in ("NonIndexed", "Indexed"):
            errs.append(not_supported(child(path, "completionMode"), mode, ["NonIndexed", "Indexed"]))
        elif mode == "Indexed":
            if spec.get("completions") is None:
                errs.append(required(child(path, "completions"), "when completion mode is Indexed"))
            parallelism = spec.get("parallelism")
            if is_int(parallelism) and parallelism > MAX_PARALLELISM_INDEXED:
                errs.append(
                    invalid(
                        child(path, "parallelism"),
                        parallelism,
                        f"must be less than or equal to {MAX_PARALLELISM_INDEXED} "
                        "when completion mode is Indexed",
                    )
                )
    if mode != "Indexed":
        for field in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(field) is not None:
                errs.append(invalid(child(path, field), spec[field], "requires indexed completion mode"))
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        allowed = (
            ["Failed"] if spec.get("podFailurePolicy") is not None else ["Failed", "TerminatingOrFailed"]
        )
        if replacement not in allowed:
            errs.append(not_supported(child(path, "podReplacementPolicy"), replacement, allowed))
    template_path = child(path, "template")
    errs += validate_pod_template_spec(spec.get("template"), template_path)
    errs += _restart_policy(spec, child(template_path, "spec", "restartPolicy"))
    return errs


def _restart_policy(spec: dict[str, Any], path: str) -> Errors:
    policy = as_dict(as_dict(spec.get("template")).get("spec")).get("restartPolicy", "")
    if policy in ("Always", ""):
        return [required(path, 'valid values: "OnFailure", "Never"')]
    if policy not in ("OnFailure", "Never"):
        return [not_supported(path, policy, ["OnFailure", "Never"])]
    if spec.get("podFailurePolicy") is not None and policy != "Never":
        return [invalid(path, policy, 'only "Never" is supported when podFailurePolicy is specified')]
    return []


def validate_job(job: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(job.get("spec"))
    errs = validate_job_spec(spec, "spec")
    selector = spec.get("selector")
    if selector is None:
        errs.append(required("spec.selector"))
    else:
        errs += validate_label_selector(selector, "spec.selector")
        labels = as_dict(as_dict(spec.get("template")).get("metadata")).get("labels")
        if selector_converts(selector) and not selector_matches(selector, labels):
            errs.append(
                invalid(
                    "spec.template.metadata.labels",
                    go_string_map(labels),
                    "`selector` does not match template `labels`",
                )
            )
    completions = spec.get("completions")
    if spec.get("completionMode") == "Indexed" and is_int(completions) and completions > 0:
        name = str(as_dict(job.get("metadata")).get("name", ""))
        hostname = f"{name}-{completions - 1}"
        if names.is_dns1123_label(hostname):
            errs.append(
                invalid(
                    "metadata.name", name, f"will not able to create pod with invalid DNS label: {hostname}"
                )
            )
    if old is not None:
        errs += _job_update(spec, as_dict(old.get("spec")))
    return errs


def _job_update(spec: dict[str, Any], old: dict[str, Any]) -> Errors:
    errs: Errors = []
    if spec.get("selector") != old.get("selector"):
        errs.append(invalid("spec.selector", go_label_selector(spec.get("selector")), "field is immutable"))
    for field in ("completionMode", "podFailurePolicy", "backoffLimitPerIndex"):
        if spec.get(field) != old.get(field):
            errs.append(invalid(child("spec", field), spec.get(field), "field is immutable"))
    # Indexed Jobs may scale when completions and parallelism move together.
    elastic = spec.get("completionMode") == "Indexed" and spec.get("completions") == spec.get("parallelism")
    if spec.get("completions") != old.get("completions") and not elastic:
        errs.append(invalid("spec.completions", spec.get("completions"), "field is immutable"))
    if _frozen_template(spec, old) != _frozen_template(old, old):
        errs.append(invalid("spec.template", spec.get("template"), "field is immutable"))
    return errs


def _frozen_template(spec: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """The template minus what a suspended Job may still change (scheduling, labels, annotations)."""
    template = copy.deepcopy(as_dict(spec.get("template")))
    if old.get("suspend") is True:
        meta = as_dict(template.get("metadata"))
        for field in ("labels", "annotations"):
            meta.pop(field, None)
        pod_spec = as_dict(template.get("spec"))
        for field in _SCHEDULING_FIELDS:
            pod_spec.pop(field, None)
    return template


# ---- CronJob ------------------------------------------------------------------------------


def validate_cron_job(cj: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    errs: Errors = []
    name = str(as_dict(cj.get("metadata")).get("name", ""))
    if len(name) > MAX_CRONJOB_NAME:
        errs.append(invalid("metadata.name", name, f"must be no more than {MAX_CRONJOB_NAME} characters"))
    spec = as_dict(cj.get("spec"))
    schedule = spec.get("schedule")
    if not schedule:
        errs.append(required("spec.schedule"))
    else:
        errs += validate_schedule(str(schedule), "spec.schedule")
    errs += _time_zone(spec.get("timeZone"))
    errs += nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds")
    policy = spec.get("concurrencyPolicy")
    if not policy:
        errs.append(required("spec.concurrencyPolicy"))
    elif policy not in ("Allow", "Forbid", "Replace"):
        errs.append(not_supported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]))
    for field in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        errs += nonnegative(spec.get(field), child("spec", field))
    errs += _job_template(as_dict(spec.get("jobTemplate")), "spec.jobTemplate")
    return errs


def validate_schedule(schedule: str, path: str) -> Errors:
    errs: Errors = []
    try:
        cron.parse(schedule)
    except cron.CronError as err:
        errs.append(invalid(path, schedule, str(err)))
    if "TZ" in schedule:
        errs.append(
            invalid(path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
        )
    return errs


def _time_zone(tz: Any) -> Errors:
    if tz is None:
        return []
    path = "spec.timeZone"
    if tz == "Local" or not isinstance(tz, str) or not tz:
        return [
            invalid(
                path,
                tz,
                "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
            )
        ]
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return [invalid(path, tz, f"unknown time zone {tz}")]
    return []


def _job_template(template: dict[str, Any], path: str) -> Errors:
    meta = as_dict(template.get("metadata"))
    errs = validate_labels(meta.get("labels"), child(path, "labels"))
    errs += validate_annotations(meta.get("annotations"), child(path, "annotations"))
    spec = as_dict(template.get("spec"))
    errs += validate_job_spec(spec, child(path, "spec"))
    if spec.get("selector") is not None:
        errs.append(
            invalid(
                child(path, "spec", "selector"),
                go_label_selector(spec["selector"]),
                "`selector` will be auto-generated",
            )
        )
    if spec.get("manualSelector") is True:
        errs.append(not_supported(child(path, "spec", "manualSelector"), True, ["nil", "false"]))
    return errs
