"""PodSecurity: a namespace's labels choose the Pod Security Standard its pods must meet.

    pod-security.kubernetes.io/enforce: privileged | baseline | restricted   refuse violating pods
    pod-security.kubernetes.io/warn:    ...                                   warn the client
    pod-security.kubernetes.io/audit:   ...                                   (audit log: not kept)
    pod-security.kubernetes.io/<mode>-version: latest | v1.X                  named in messages

A missing label means privileged; `warn` follows `enforce` when only enforce is set. A pod
(created, or updated in a way that matters: an image, the containers, a seccomp annotation)
that violates the enforce level is refused:

    pods "p" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation
    != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ...

one that violates the warn level is admitted with the warning `would violate PodSecurity
"baseline:latest": ...`. Workload objects with pod templates (Deployments, Jobs, ...) are
never refused, only warned about. Labelling a namespace with a new enforce level warns about
its existing pods that would violate it. The checks themselves are podsecuritychecks.py's;
kubelite evaluates every version label against the latest standard (the standards have not
changed since 1.25 for the pods kubelite runs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubelite.api import errors
from kubelite.apiserver.admission import podsecuritychecks as checks
from kubelite.apiserver.admission.chain import Plugin, forbidden
from kubelite.apiserver.admission.objects import Objects
from kubelite.apiserver.registry import AdmissionAttributes

PREFIX = "pod-security.kubernetes.io/"
LEVELS = ("privileged", "baseline", "restricted")
MODES = ("enforce", "audit", "warn")


@dataclass(frozen=True, slots=True)
class LevelVersion:
    level: str = "privileged"
    version: str = "latest"

    def __str__(self) -> str:
        return f"{self.level}:{self.version}"


def _valid_version(v: str) -> bool:
    if v == "latest":
        return True
    major, _, minor = v.removeprefix("v").partition(".")
    return v.startswith("v") and major == "1" and minor.isdigit()


def label_errors(labels: dict[str, str]) -> list[errors.FieldError]:
    errs = []
    for mode in MODES:
        key = PREFIX + mode
        if key in labels and labels[key] not in LEVELS:
            errs.append(
                errors.invalid(
                    f"metadata.labels[{key}]", labels[key], "must be one of privileged, baseline, restricted"
                )
            )
        vkey = key + "-version"
        if vkey in labels and not _valid_version(labels[vkey]):
            errs.append(
                errors.invalid(f"metadata.labels[{vkey}]", labels[vkey], 'must be "latest" or "v1.x"')
            )
    return errs


def policy(labels: dict[str, str]) -> dict[str, LevelVersion]:
    """Each mode's level and version from a namespace's labels (an invalid enforce level is
    taken as restricted, as Kubernetes does)."""
    out: dict[str, LevelVersion] = {}
    for mode in MODES:
        level = labels.get(PREFIX + mode, "privileged")
        version = labels.get(PREFIX + mode + "-version", "latest")
        if level not in LEVELS:
            level = "restricted" if mode == "enforce" else "privileged"
        out[mode] = LevelVersion(level, version if _valid_version(version) else "latest")
    if PREFIX + "warn" not in labels and PREFIX + "enforce" in labels:
        out["warn"] = out["enforce"]
    return out


def reasons(violations: list[checks.Violation]) -> str:
    return ", ".join(str(v) for v in violations)


# Kinds whose objects hold a pod template, and where it is.
_TEMPLATES: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any] | None]] = {
    ("", "ReplicationController"): lambda o: (o.get("spec") or {}).get("template"),
    ("", "PodTemplate"): lambda o: o.get("template"),
    ("apps", "Deployment"): lambda o: (o.get("spec") or {}).get("template"),
    ("apps", "ReplicaSet"): lambda o: (o.get("spec") or {}).get("template"),
    ("apps", "StatefulSet"): lambda o: (o.get("spec") or {}).get("template"),
    ("apps", "DaemonSet"): lambda o: (o.get("spec") or {}).get("template"),
    ("batch", "Job"): lambda o: (o.get("spec") or {}).get("template"),
    ("batch", "CronJob"): lambda o: (((o.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get(
        "template"
    ),
}


def _significant_pod_update(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """Whether an update can change what the pod is allowed to do: as Kubernetes judges it,
    a different image, number of containers, or seccomp annotation (the other fields that
    matter cannot change on a pod)."""
    annotations = (new.get("metadata") or {}).get("annotations") or {}
    old_annotations = (old.get("metadata") or {}).get("annotations") or {}
    seccomp = "seccomp.security.alpha.kubernetes.io/pod"
    if annotations.get(seccomp) != old_annotations.get(seccomp):
        return True
    spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    for field in ("containers", "initContainers"):
        mine, theirs = spec.get(field) or [], old_spec.get(field) or []
        if len(mine) != len(theirs):
            return True
        for c, o in zip(mine, theirs, strict=True):
            key = "container.seccomp.security.alpha.kubernetes.io/" + str(c.get("name", ""))
            if c.get("image") != o.get("image") or annotations.get(key) != old_annotations.get(key):
                return True
    return False


class PodSecurity(Plugin):
    NAME = "PodSecurity"

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.namespaces = objects.type("", "v1", "namespaces")
        self.pods = objects.type("", "v1", "pods")

    async def validate(self, attrs: AdmissionAttributes) -> None:
        rt = attrs.rt
        if attrs.operation not in ("CREATE", "UPDATE") or attrs.obj is None:
            return
        if rt.group == "" and rt.kind == "Namespace" and not attrs.subresource:
            self._namespace(attrs)
        elif rt.group == "" and rt.kind == "Pod" and attrs.subresource in ("", "ephemeralcontainers"):
            await self._pod(attrs)
        elif (rt.group, rt.kind) in _TEMPLATES and not attrs.subresource:
            await self._template(attrs, _TEMPLATES[(rt.group, rt.kind)](attrs.obj))

    async def _labels(self, namespace: str) -> dict[str, str]:
        ns = await self.objects.get(self.namespaces, "", namespace)
        return dict(((ns or {}).get("metadata") or {}).get("labels") or {})

    async def _pod(self, attrs: AdmissionAttributes) -> None:
        assert attrs.obj is not None
        if attrs.operation == "UPDATE" and attrs.old is not None and not attrs.subresource:
            if not _significant_pod_update(attrs.obj, attrs.old):
                return
        modes = policy(await self._labels(attrs.namespace))
        meta, spec = attrs.obj.get("metadata") or {}, attrs.obj.get("spec") or {}
        enforce = modes["enforce"]
        found = checks.evaluate(enforce.level, meta, spec)
        if found:
            raise forbidden(attrs, f'violates PodSecurity "{enforce}": {reasons(found)}')
        warn = modes["warn"]
        if warn.level != "privileged":
            found = checks.evaluate(warn.level, meta, spec)
            if found:
                attrs.ctx.warnings.append(f'would violate PodSecurity "{warn}": {reasons(found)}')

    async def _template(self, attrs: AdmissionAttributes, template: dict[str, Any] | None) -> None:
        if template is None:
            return
        warn = policy(await self._labels(attrs.namespace))["warn"]
        if warn.level == "privileged":
            return
        found = checks.evaluate(warn.level, template.get("metadata") or {}, template.get("spec") or {})
        if found:
            attrs.ctx.warnings.append(f'would violate PodSecurity "{warn}": {reasons(found)}')

    def _namespace(self, attrs: AdmissionAttributes) -> None:
        assert attrs.obj is not None
        labels = dict((attrs.obj.get("metadata") or {}).get("labels") or {})
        errs = label_errors(labels)
        if errs:
            raise errors.invalid_object("Namespace", "", attrs.name, errs)
        if attrs.operation != "UPDATE" or attrs.old is None:
            return
        new = policy(labels)["enforce"]
        old = policy(dict((attrs.old.get("metadata") or {}).get("labels") or {}))["enforce"]
        if new == old or new.level == "privileged":
            return
        self._warn_existing(attrs, new)

    def _warn_existing(self, attrs: AdmissionAttributes, enforce: LevelVersion) -> None:
        """Name the namespace's pods that would not be admitted now, grouped by what they
        violate (first pod's name and how many others)."""
        groups: dict[str, list[str]] = {}
        for pod in self.objects.list(self.pods, attrs.name):
            found = checks.evaluate(enforce.level, pod.get("metadata") or {}, pod.get("spec") or {})
            if found:
                groups.setdefault(", ".join(v.reason for v in found), []).append(pod["metadata"]["name"])
        if not groups:
            return
        attrs.ctx.warnings.append(
            f'existing pods in namespace "{attrs.name}" violate the new PodSecurity enforce level "{enforce}"'
        )
        for why, names in groups.items():
            who = names[0] if len(names) == 1 else f"{names[0]} (and {len(names) - 1} other pods)"
            attrs.ctx.warnings.append(f"{who}: {why}")
