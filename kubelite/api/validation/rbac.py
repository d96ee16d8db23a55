"""rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding.

Names of RBAC objects are path segments, not DNS names (`system:controller:foo` is fine).
A rule needs verbs, and either resources with API groups or (cluster-wide only)
non-resource URLs; a binding's `roleRef` cannot change once set.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import invalid, not_supported, required
from kubelite.api.validation.fields import Errors, as_dict, as_list, as_str, child, index
from kubelite.api.validation.meta import validate_label_selector

GROUP = "rbac.authorization.k8s.io"


def _rules(rules: Any, path: str, *, namespaced: bool) -> Errors:
    errs: Errors = []
    for i, rule in enumerate(as_list(rules)):
        p, rule = index(path, i), as_dict(rule)
        if not as_list(rule.get("verbs")):
            errs.append(required(child(p, "verbs"), "verbs must contain at least one value"))
        urls = as_list(rule.get("nonResourceURLs"))
        if urls:
            if namespaced:
                errs.append(
                    invalid(
                        child(p, "nonResourceURLs"),
                        urls,
                        "namespaced rules cannot apply to non-resource URLs",
                    )
                )
            if (
                as_list(rule.get("apiGroups"))
                or as_list(rule.get("resources"))
                or as_list(rule.get("resourceNames"))
            ):
                errs.append(
                    invalid(
                        child(p, "nonResourceURLs"),
                        urls,
                        "rules cannot apply to both regular resources and non-resource URLs",
                    )
                )
            continue
        if not as_list(rule.get("apiGroups")):
            errs.append(required(child(p, "apiGroups"), "resource rules must supply at least one api group"))
        if not as_list(rule.get("resources")):
            errs.append(required(child(p, "resources"), "resource rules must supply at least one resource"))
    return errs


def validate_role(role: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    return _rules(role.get("rules"), "rules", namespaced=True)


def validate_cluster_role(role: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    errs = _rules(role.get("rules"), "rules", namespaced=False)
    aggregation = role.get("aggregationRule")
    if aggregation is not None:
        selectors = as_list(as_dict(aggregation).get("clusterRoleSelectors"))
        if not selectors:
            errs.append(
                required(
                    "aggregationRule.clusterRoleSelectors",
                    "at least one clusterRoleSelector required if aggregationRule is non-nil",
                )
            )
        for i, sel in enumerate(selectors):
            errs += validate_label_selector(sel, index("aggregationRule.clusterRoleSelectors", i))
    return errs


def _role_ref(ref: dict[str, Any], kinds: list[str]) -> Errors:
    errs: Errors = []
    if ref.get("apiGroup") != GROUP:
        errs.append(not_supported("roleRef.apiGroup", ref.get("apiGroup", ""), [GROUP]))
    if ref.get("kind") not in kinds:
        errs.append(not_supported("roleRef.kind", ref.get("kind", ""), kinds))
    name = as_str(ref.get("name"))
    if not name:
        errs.append(required("roleRef.name"))
    else:
        errs += [invalid("roleRef.name", name, m) for m in names.is_path_segment_name(name)]
    return errs


def _subjects(subjects: Any, *, cluster: bool) -> Errors:
    errs: Errors = []
    for i, subject in enumerate(as_list(subjects)):
        p, s = index("subjects", i), as_dict(subject)
        name, kind, group = as_str(s.get("name")), s.get("kind"), s.get("apiGroup", "")
        if not name:
            errs.append(required(child(p, "name")))
        if kind == "ServiceAccount":
            if name:
                errs += [invalid(child(p, "name"), name, m) for m in names.name_is_dns_subdomain(name)]
            if group != "":
                errs.append(not_supported(child(p, "apiGroup"), group, [""]))
            if cluster and not s.get("namespace"):
                errs.append(required(child(p, "namespace")))
        elif kind in ("User", "Group"):
            if group != GROUP:
                errs.append(not_supported(child(p, "apiGroup"), group, [GROUP]))
        else:
            errs.append(not_supported(child(p, "kind"), kind or "", ["ServiceAccount", "User", "Group"]))
    return errs


def _binding(binding: dict[str, Any], old: dict[str, Any] | None, kinds: list[str], cluster: bool) -> Errors:
    ref = as_dict(binding.get("roleRef"))
    errs = _role_ref(ref, kinds) + _subjects(binding.get("subjects"), cluster=cluster)
    if old is not None and ref != as_dict(old.get("roleRef")):
        errs.append(invalid("roleRef", ref, "cannot change roleRef"))
    return errs


def validate_role_binding(binding: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    return _binding(binding, old, ["Role", "ClusterRole"], cluster=False)


def validate_cluster_role_binding(binding: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    return _binding(binding, old, ["ClusterRole"], cluster=True)
