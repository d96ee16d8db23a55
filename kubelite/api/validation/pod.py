"""Pods and pod templates: the spec every workload carries, and what a pod update may touch.

`validate_pod_spec` runs for a Pod (`is_pod=True`) and for every embedded template; a few
rules are stricter for a real Pod, as in Kubernetes (a hostNetwork pod's `hostPort` must
already equal `containerPort`, because defaulting fills it only on Pods). After creation a
pod's spec is frozen except container images, `activeDeadlineSeconds` (only shortened),
added tolerations, removed scheduling gates, and a negative grace period becoming 1.
"""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api import names
from kubelite.api.errors import duplicate, forbidden, invalid, not_supported, required
from kubelite.api.validation import container as ctrs
from kubelite.api.validation.fields import (
    Errors,
    as_dict,
    as_list,
    as_str,
    child,
    index,
    is_int,
)
from kubelite.api.validation.meta import (
    validate_annotations,
    validate_label_name,
    validate_label_selector,
    validate_labels,
    validate_object_meta,
    validate_object_meta_update,
    validate_requirement,
)
from kubelite.api.validation.security import validate_pod_security_context
from kubelite.api.validation.volumes import validate_volumes

RESTART_POLICIES = ["Always", "OnFailure", "Never"]
DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
MAX_INT32 = 2**31 - 1
UPDATABLE_POD_FIELDS = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)


# ---- the spec -----------------------------------------------------------------------------


def validate_pod_spec(spec: Any, path: str, *, is_pod: bool) -> Errors:
    s = as_dict(spec)
    errs: Errors = []
    grace = s.get("terminationGracePeriodSeconds")
    if grace is None:
        errs.append(required(child(path, "terminationGracePeriodSeconds")))
    volumes, verrs = validate_volumes(s.get("volumes"), child(path, "volumes"))
    errs += verrs
    errs += _validate_containers(s, volumes, grace, child(path, "containers"))
    errs += _validate_init_containers(s, volumes, grace, child(path, "initContainers"))
    errs += _validate_host_network(s, path, is_pod)
    errs += validate_pod_security_context(s, child(path, "securityContext"))
    errs += _validate_choice(s.get("restartPolicy"), child(path, "restartPolicy"), RESTART_POLICIES)
    errs += _validate_choice(s.get("dnsPolicy"), child(path, "dnsPolicy"), DNS_POLICIES)
    errs += validate_labels(s.get("nodeSelector"), child(path, "nodeSelector"))
    errs += _validate_dns_config(s, child(path, "dnsConfig"))
    errs += validate_affinity(as_dict(s.get("affinity")), child(path, "affinity"))
    errs += _validate_names(s, path)
    deadline = s.get("activeDeadlineSeconds")
    if is_int(deadline) and not 1 <= deadline <= MAX_INT32:
        errs.append(
            invalid(child(path, "activeDeadlineSeconds"), deadline, names.inclusive_range_error(1, MAX_INT32))
        )
    errs += validate_tolerations(s.get("tolerations"), child(path, "tolerations"))
    if s.get("priorityClassName"):
        pc = as_str(s.get("priorityClassName"))
        errs += [invalid(child(path, "priorityClassName"), pc, m) for m in names.name_is_dns_subdomain(pc)]
    if s.get("preemptionPolicy") is not None:
        errs += _validate_choice(
            s.get("preemptionPolicy"), child(path, "preemptionPolicy"), ["PreemptLowerPriority", "Never"]
        )
    for i, gate in enumerate(as_list(s.get("schedulingGates"))):
        gname = as_str(as_dict(gate).get("name"))
        errs += [
            invalid(index(child(path, "schedulingGates"), i), gname, m)
            for m in names.is_qualified_name(gname)
        ]
    return errs


def _validate_choice(value: Any, path: str, choices: list[str]) -> Errors:
    if not value:
        return [required(path)]
    if value not in choices:
        return [not_supported(path, value, choices)]
    return []


def _validate_names(s: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    for field, rule in (
        ("serviceAccountName", names.name_is_dns_subdomain),
        ("nodeName", names.name_is_dns_subdomain),
        ("hostname", names.is_dns1123_label),
        ("subdomain", names.is_dns1123_label),
        ("schedulerName", names.is_dns1123_subdomain),
    ):
        value = as_str(s.get(field))
        if value:
            errs += [invalid(child(path, field), value, m) for m in rule(value)]
    return errs


def _validate_containers(s: dict[str, Any], volumes: set[str], grace: Any, path: str) -> Errors:
    containers = as_list(s.get("containers"))
    if not containers:
        return [required(path)]
    errs: Errors = []
    seen: set[str] = set()
    for i, ctr in enumerate(containers):
        p, ctr = index(path, i), as_dict(ctr)
        errs += ctrs.validate_container_common(ctr, volumes, p)
        name = as_str(ctr.get("name"))
        if name in seen:
            errs.append(duplicate(child(p, "name"), name))
        seen.add(name)
        if ctr.get("lifecycle") is not None:
            errs += ctrs.validate_lifecycle(ctr["lifecycle"], grace, child(p, "lifecycle"))
        errs += ctrs.validate_probe(
            ctr.get("livenessProbe"), grace, child(p, "livenessProbe"), kind="liveness"
        )
        errs += ctrs.validate_probe(
            ctr.get("readinessProbe"), grace, child(p, "readinessProbe"), kind="readiness"
        )
        errs += ctrs.validate_probe(ctr.get("startupProbe"), grace, child(p, "startupProbe"), kind="startup")
        if ctr.get("restartPolicy") is not None:
            errs.append(forbidden(child(p, "restartPolicy"), "may not be set for non-init containers"))
    return errs + _host_port_conflicts(containers, path)


def _validate_init_containers(s: dict[str, Any], volumes: set[str], grace: Any, path: str) -> Errors:
    errs: Errors = []
    seen = {as_str(as_dict(c).get("name")) for c in as_list(s.get("containers"))}
    for i, ctr in enumerate(as_list(s.get("initContainers"))):
        p, ctr = index(path, i), as_dict(ctr)
        errs += ctrs.validate_container_common(ctr, volumes, p)
        policy = ctr.get("restartPolicy")
        if policy is not None and policy != "Always":
            errs.append(not_supported(child(p, "restartPolicy"), policy, ["Always"]))
        name = as_str(ctr.get("name"))
        if name in seen:
            errs.append(duplicate(child(p, "name"), name))
        elif name:
            seen.add(name)
        errs += _host_port_conflicts([ctr], path)
        if policy == "Always":  # a sidecar: probes and hooks behave as for regular containers
            if ctr.get("lifecycle") is not None:
                errs += ctrs.validate_lifecycle(ctr["lifecycle"], grace, child(p, "lifecycle"))
            for probe, kind in (
                ("livenessProbe", "liveness"),
                ("readinessProbe", "readiness"),
                ("startupProbe", "startup"),
            ):
                errs += ctrs.validate_probe(ctr.get(probe), grace, child(p, probe), kind=kind)
            continue
        for field in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
            if ctr.get(field) is not None:
                errs.append(
                    forbidden(
                        child(p, field), "may not be set for init containers without restartPolicy=Always"
                    )
                )
    return errs


def _host_port_conflicts(containers: list[Any], path: str) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    for ci, ctr in enumerate(containers):
        for pi, port in enumerate(as_list(as_dict(ctr).get("ports"))):
            port = as_dict(port)
            host_port = port.get("hostPort")
            if not host_port:
                continue
            token = f"{port.get('protocol', '')}/{port.get('hostIP', '')}/{host_port}"
            if token in seen:
                errs.append(duplicate(child(index(child(index(path, ci), "ports"), pi), "hostPort"), token))
            seen.add(token)
    return errs


def _validate_host_network(s: dict[str, Any], path: str, is_pod: bool) -> Errors:
    if s.get("hostNetwork") is not True:
        return []
    errs: Errors = []
    for ci, ctr in enumerate(as_list(s.get("containers"))):
        for pi, port in enumerate(as_list(as_dict(ctr).get("ports"))):
            port = as_dict(port)
            host, cport = port.get("hostPort", 0), port.get("containerPort")
            # Templates may leave hostPort unset: defaulting fills it when the Pod is made.
            if (is_pod or host) and host != cport:
                p = child(index(child(index(child(path, "containers"), ci), "ports"), pi), "hostPort")
                errs.append(invalid(p, host, "must match `containerPort` when `hostNetwork` is true"))
    return errs


def _validate_dns_config(s: dict[str, Any], path: str) -> Errors:
    config = s.get("dnsConfig")
    if s.get("dnsPolicy") == "None":
        if config is None:
            return [required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not as_list(as_dict(config).get("nameservers")):
            return [
                required(
                    child(path, "nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                )
            ]
    nameservers = as_list(as_dict(config).get("nameservers"))
    if len(nameservers) > 3:
        return [invalid(child(path, "nameservers"), nameservers, "must not have more than 3 nameservers")]
    return []


# ---- scheduling constraints ---------------------------------------------------------------


def validate_tolerations(tolerations: Any, path: str) -> Errors:
    errs: Errors = []
    for i, tol in enumerate(as_list(tolerations)):
        p, tol = index(path, i), as_dict(tol)
        k, op, value, effect = (
            as_str(tol.get("key")),
            tol.get("operator", ""),
            as_str(tol.get("value")),
            tol.get("effect", ""),
        )
        if k:
            errs += validate_label_name(k, child(p, "key"))
        if not k and op != "Exists":
            errs.append(
                invalid(
                    child(p, "operator"),
                    op,
                    "operator must be Exists when `key` is empty, "
                    'which means "match all values and all keys"',
                )
            )
        if tol.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(
                invalid(
                    child(p, "effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"
                )
            )
        if op in ("Equal", ""):
            msgs = names.is_label_value(value)
            if msgs:
                errs.append(invalid(child(p, "operator"), value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                errs.append(
                    invalid(child(p, "operator"), value, "value must be empty when `operator` is 'Exists'")
                )
        else:
            errs.append(not_supported(child(p, "operator"), op, ["Equal", "Exists"]))
        if effect and effect not in TAINT_EFFECTS:
            errs.append(not_supported(child(p, "effect"), effect, TAINT_EFFECTS))
    return errs


def validate_affinity(affinity: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    node = as_dict(affinity.get("nodeAffinity"))
    req = node.get("requiredDuringSchedulingIgnoredDuringExecution")
    if req is not None:
        rp = child(path, "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
        terms = as_list(as_dict(req).get("nodeSelectorTerms"))
        if not terms:
            errs.append(required(child(rp, "nodeSelectorTerms"), "must have at least one node selector term"))
        for i, term in enumerate(terms):
            errs += _node_selector_term(as_dict(term), index(child(rp, "nodeSelectorTerms"), i))
    for i, pref in enumerate(as_list(node.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        pp = index(child(path, "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"), i)
        errs += _weight(as_dict(pref).get("weight"), child(pp, "weight"))
        errs += _node_selector_term(as_dict(as_dict(pref).get("preference")), child(pp, "preference"))
    for kind in ("podAffinity", "podAntiAffinity"):
        pa = as_dict(affinity.get(kind))
        rp = child(path, kind, "requiredDuringSchedulingIgnoredDuringExecution")
        for i, term in enumerate(as_list(pa.get("requiredDuringSchedulingIgnoredDuringExecution"))):
            errs += _pod_affinity_term(as_dict(term), index(rp, i))
        wp = child(path, kind, "preferredDuringSchedulingIgnoredDuringExecution")
        for i, weighted in enumerate(as_list(pa.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            weighted = as_dict(weighted)
            errs += _weight(weighted.get("weight"), child(index(wp, i), "weight"))
            errs += _pod_affinity_term(
                as_dict(weighted.get("podAffinityTerm")), child(index(wp, i), "podAffinityTerm")
            )
    return errs


def _weight(weight: Any, path: str) -> Errors:
    if not is_int(weight) or not 1 <= weight <= 100:
        return [invalid(path, weight, "must be in the range 1-100")]
    return []


def _node_selector_term(term: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    for i, req in enumerate(as_list(term.get("matchExpressions"))):
        errs += validate_requirement(as_dict(req), index(child(path, "matchExpressions"), i), node=True)
    return errs


def _pod_affinity_term(term: dict[str, Any], path: str) -> Errors:
    errs = validate_label_selector(term.get("labelSelector"), child(path, "labelSelector"))
    errs += validate_label_selector(term.get("namespaceSelector"), child(path, "namespaceSelector"))
    topology = as_str(term.get("topologyKey"))
    if not topology:
        errs.append(required(child(path, "topologyKey"), "can not be empty"))
    return errs + validate_label_name(topology, child(path, "topologyKey"))


# ---- templates and pods -------------------------------------------------------------------


def validate_pod_template_spec(template: Any, path: str) -> Errors:
    t = as_dict(template)
    meta = as_dict(t.get("metadata"))
    errs = validate_labels(meta.get("labels"), child(path, "labels"))
    errs += validate_annotations(meta.get("annotations"), child(path, "annotations"))
    errs += validate_pod_spec(t.get("spec"), child(path, "spec"), is_pod=False)
    if as_list(as_dict(t.get("spec")).get("ephemeralContainers")):
        errs.append(
            forbidden(
                child(path, "spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"
            )
        )
    return errs


def _validate_pod_meta_and_spec(pod: dict[str, Any]) -> Errors:
    errs = validate_pod_spec(pod.get("spec"), "spec", is_pod=True)
    spec = as_dict(pod.get("spec"))
    for kind in ("containers", "initContainers"):
        for i, ctr in enumerate(as_list(spec.get(kind))):
            image = as_str(as_dict(ctr).get("image"))
            if image != image.strip():
                errs.append(
                    invalid(
                        child(index(child("spec", kind), i), "image"),
                        image,
                        "must not have leading or trailing whitespace",
                    )
                )
    return errs


def validate_pod(pod: dict[str, Any]) -> Errors:
    errs = validate_object_meta(pod.get("metadata"), namespaced=True, name_fn=names.name_is_dns_subdomain)
    errs += _validate_pod_meta_and_spec(pod)
    spec = as_dict(pod.get("spec"))
    if as_list(spec.get("ephemeralContainers")):
        errs.append(forbidden("spec.ephemeralContainers", "cannot be set on create"))
    if spec.get("nodeName") and as_list(spec.get("schedulingGates")):
        errs.append(forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"))
    return errs


def validate_pod_template(obj: dict[str, Any]) -> Errors:
    errs = validate_object_meta(obj.get("metadata"), namespaced=True, name_fn=names.name_is_dns_subdomain)
    return errs + validate_pod_template_spec(obj.get("template"), "template")


def validate_pod_update(new: dict[str, Any], old: dict[str, Any]) -> Errors:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs += _validate_pod_meta_and_spec(new)
    ns, os_ = as_dict(new.get("spec")), as_dict(old.get("spec"))
    for kind in ("containers", "initContainers"):
        new_c, old_c = as_list(ns.get(kind)), as_list(os_.get(kind))
        if len(new_c) != len(old_c):
            errs.append(forbidden(child("spec", kind), "pod updates may not add or remove containers"))
            return errs
    errs += _deadline_update(ns.get("activeDeadlineSeconds"), os_.get("activeDeadlineSeconds"))
    errs += _tolerations_update(ns.get("tolerations"), os_.get("tolerations"))
    if ns == os_:
        return errs
    munged = _munge_mutable(ns, os_)
    if munged != os_:
        detail = "pod updates may not change fields other than " + ",".join(UPDATABLE_POD_FIELDS)
        errs.append(forbidden("spec", detail + "\n" + _describe_diff(os_, munged, "spec")))
    return errs


def _deadline_update(new: Any, old: Any) -> Errors:
    path = "spec.activeDeadlineSeconds"
    if new is None:
        if old is not None:
            return [invalid(path, None, "must not update from a positive integer to nil value")]
        return []
    if is_int(new) and not 0 <= new <= MAX_INT32:
        return [invalid(path, new, names.inclusive_range_error(0, MAX_INT32))]
    if is_int(old) and is_int(new) and old < new:
        return [invalid(path, new, "must be less than or equal to previous value")]
    return []


def _tolerations_update(new: Any, old: Any) -> Errors:
    new_list = [as_dict(t) for t in as_list(new)]
    for tol in as_list(old):
        base = {k: v for k, v in as_dict(tol).items() if k != "tolerationSeconds"}
        if not any({k: v for k, v in n.items() if k != "tolerationSeconds"} == base for n in new_list):
            return [
                forbidden(
                    "spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"
                )
            ]
    return []


def _munge_mutable(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """The new spec with every field a pod update may change set back to its old value."""
    munged = copy.deepcopy(new)
    for kind in ("containers", "initContainers"):
        for ctr, old_ctr in zip(as_list(munged.get(kind)), as_list(old.get(kind)), strict=False):
            if isinstance(ctr, dict) and isinstance(old_ctr, dict):
                _set(ctr, "image", old_ctr.get("image"))
    for field in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        _set(munged, field, old.get(field))
    old_grace, new_grace = (
        old.get("terminationGracePeriodSeconds"),
        munged.get("terminationGracePeriodSeconds"),
    )
    if is_int(old_grace) and old_grace < 0 and new_grace == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    return munged


def _set(d: dict[str, Any], k: str, value: Any) -> None:
    if value is None:
        d.pop(k, None)
    else:
        d[k] = value


def _describe_diff(old: Any, new: Any, path: str) -> str:
    """A short, line-per-field account of what changed (Kubernetes prints a Go diff here)."""
    lines: list[str] = []
    _diff(old, new, path, lines)
    return "\n".join(lines[:20])


def _diff(old: Any, new: Any, path: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            _diff(old.get(k), new.get(k), child(path, k), out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (o, n) in enumerate(zip(old, new, strict=True)):
            _diff(o, n, index(path, i), out)
    elif old != new:
        out.append(f"  {path}: {_short(old)} -> {_short(new)}")


def _short(value: Any) -> str:
    import orjson

    text = orjson.dumps(value).decode() if value is not None else "<unset>"
    return text if len(text) <= 80 else text[:77] + "..."
