"""flowcontrol.apiserver.k8s.io/v1: FlowSchema and PriorityLevelConfiguration, the API Priority
and Fairness configuration. kubelite stores and validates them; it does not queue requests
by them yet (docs/compatibility.md). Priority level names follow path-segment rules, flow
schema names DNS subdomain rules, as in Kubernetes.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import duplicate, forbidden, invalid, not_supported, required
from kubelite.api.validation.fields import Errors, as_dict, as_list, as_str, child, index, is_int

MAX_MATCHING_PRECEDENCE = 10000
MAX_QUEUES = 512
DISTINGUISHER_METHODS = ["ByNamespace", "ByUser"]
SUBJECT_KINDS = ["Group", "ServiceAccount", "User"]
VERBS = ["*", "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
ENABLEMENTS = ["Exempt", "Limited"]
LIMIT_RESPONSES = ["Queue", "Reject"]


def validate_flow_schema(fs: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    name = as_str(as_dict(fs.get("metadata")).get("name"))
    spec = as_dict(fs.get("spec"))
    errs: Errors = []
    precedence = spec.get("matchingPrecedence")
    if is_int(precedence):
        if precedence <= 0:
            errs.append(invalid("spec.matchingPrecedence", precedence, "must be a positive value"))
        if precedence > MAX_MATCHING_PRECEDENCE:
            errs.append(
                invalid(
                    "spec.matchingPrecedence",
                    precedence,
                    f"must not be greater than {MAX_MATCHING_PRECEDENCE}",
                )
            )
        if precedence == 1 and name != "exempt":
            errs.append(
                invalid(
                    "spec.matchingPrecedence",
                    precedence,
                    "only the schema named 'exempt' may have matchingPrecedence 1",
                )
            )
    method = spec.get("distinguisherMethod")
    if method is not None and as_dict(method).get("type") not in DISTINGUISHER_METHODS:
        errs.append(not_supported("spec.distinguisherMethod.type", method, DISTINGUISHER_METHODS))
    level = as_str(as_dict(spec.get("priorityLevelConfiguration")).get("name"))
    if level:
        errs += [
            invalid("spec.priorityLevelConfiguration.name", level, m)
            for m in names.is_path_segment_name(level)
        ]
    else:
        errs.append(required("spec.priorityLevelConfiguration.name", "must reference a priority level"))
    for i, rule in enumerate(as_list(spec.get("rules"))):
        errs += _rule(as_dict(rule), index("spec.rules", i))
    return errs


def _rule(rule: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    subjects = as_list(rule.get("subjects"))
    if not subjects:
        errs.append(required(child(path, "subjects"), "subjects must contain at least one value"))
    for i, subject in enumerate(subjects):
        errs += _subject(as_dict(subject), index(child(path, "subjects"), i))
    resource_rules, non_resource_rules = (
        as_list(rule.get("resourceRules")),
        as_list(rule.get("nonResourceRules")),
    )
    if not resource_rules and not non_resource_rules:
        errs.append(required(path, "at least one of resourceRules and nonResourceRules has to be non-empty"))
    for i, r in enumerate(resource_rules):
        errs += _resource_rule(as_dict(r), index(child(path, "resourceRules"), i))
    for i, r in enumerate(non_resource_rules):
        r, item = as_dict(r), index(child(path, "nonResourceRules"), i)
        errs += _verbs(as_list(r.get("verbs")), item)
        urls = as_list(r.get("nonResourceURLs"))
        if not urls:
            errs.append(
                required(child(item, "nonResourceURLs"), "nonResourceURLs must contain at least one value")
            )
        elif len(urls) > 1 and "*" in urls:
            errs.append(
                invalid(
                    child(item, "nonResourceURLs"),
                    urls,
                    "if '*' is present, must not specify other non-resource URLs",
                )
            )
    return errs


def _subject(subject: dict[str, Any], path: str) -> Errors:
    kind = subject.get("kind")
    if kind not in SUBJECT_KINDS:
        return [not_supported(child(path, "kind"), kind or "", SUBJECT_KINDS)]
    errs: Errors = []
    field = {"User": "user", "Group": "group", "ServiceAccount": "serviceAccount"}[as_str(kind)]
    for other in ("user", "group", "serviceAccount"):
        if other != field and subject.get(other) is not None:
            wanted = {"user": "User", "group": "Group", "serviceAccount": "ServiceAccount"}[other]
            errs.append(
                forbidden(child(path, other), f"{other} is forbidden when subject kind is not '{wanted}'")
            )
    body = subject.get(field)
    if body is None:
        errs.append(required(child(path, field), f"{field} is required when subject kind is '{kind}'"))
        return errs
    body = as_dict(body)
    if not as_str(body.get("name")):
        errs.append(required(child(path, field, "name")))
    if field == "serviceAccount":
        namespace = as_str(body.get("namespace"))
        if not namespace:
            errs.append(
                required(child(path, field, "namespace"), "must specify namespace for service account")
            )
    return errs


def _verbs(verbs: list[Any], path: str) -> Errors:
    if not verbs:
        return [required(child(path, "verbs"), "verbs must contain at least one value")]
    if len(verbs) > 1 and "*" in verbs:
        return [invalid(child(path, "verbs"), verbs, "if '*' is present, must not specify other verbs")]
    if any(v not in VERBS for v in verbs):
        return [not_supported(child(path, "verbs"), verbs, VERBS)]
    return []


def _resource_rule(rule: dict[str, Any], path: str) -> Errors:
    errs = _verbs(as_list(rule.get("verbs")), path)
    for field, noun in (("apiGroups", "api group"), ("resources", "resource")):
        values = as_list(rule.get(field))
        if not values:
            errs.append(required(child(path, field), f"resource rules must supply at least one {noun}"))
        elif len(values) > 1 and "*" in values:
            errs.append(
                invalid(child(path, field), values, f"if '*' is present, must not specify other {noun}s")
            )
    namespaces = as_list(rule.get("namespaces"))
    if not namespaces and not rule.get("clusterScope"):
        errs.append(
            required(
                child(path, "namespaces"),
                "resource rules that are not cluster scoped must supply at least one namespace",
            )
        )
    elif len(namespaces) > 1 and "*" in namespaces:
        errs.append(
            invalid(
                child(path, "namespaces"), namespaces, "if '*' is present, must not specify other namespaces"
            )
        )
    return errs


def validate_priority_level(pl: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    name = as_str(as_dict(pl.get("metadata")).get("name"))
    spec = as_dict(pl.get("spec"))
    kind = spec.get("type")
    errs: Errors = []
    if (name == "exempt") != (kind == "Exempt"):
        errs.append(invalid("spec.type", kind or "", "type must be 'Exempt' if and only if name is 'exempt'"))
    if kind == "Exempt":
        if spec.get("limited") is not None:
            errs.append(forbidden("spec.limited", "must be nil if the type is not Limited"))
        exempt = as_dict(spec.get("exempt"))
        shares = exempt.get("nominalConcurrencyShares")
        if is_int(shares) and shares < 0:
            errs.append(
                invalid("spec.exempt.nominalConcurrencyShares", shares, "must be a non-negative integer")
            )
        errs += _lendable(exempt, "spec.exempt")
    elif kind == "Limited":
        if spec.get("exempt") is not None:
            errs.append(forbidden("spec.exempt", "must be nil if the type is Limited"))
        if spec.get("limited") is None:
            errs.append(required("spec.limited", "must not be empty when type is Limited"))
        else:
            errs += _limited(as_dict(spec["limited"]), "spec.limited")
    else:
        errs.append(not_supported("spec.type", kind or "", ENABLEMENTS))
    errs += _condition_types(as_list(as_dict(pl.get("status")).get("conditions")))
    return errs


def _lendable(config: dict[str, Any], path: str) -> Errors:
    lendable = config.get("lendablePercent")
    if is_int(lendable) and not 0 <= lendable <= 100:
        return [invalid(child(path, "lendablePercent"), lendable, "must be between 0 and 100, inclusive")]
    return []


def _limited(limited: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    shares = limited.get("nominalConcurrencyShares")
    if is_int(shares) and shares < 0:
        errs.append(invalid(child(path, "nominalConcurrencyShares"), shares, "must be positive"))
    response = as_dict(limited.get("limitResponse"))
    response_path = child(path, "limitResponse")
    kind = response.get("type")
    if kind == "Reject" and response.get("queuing") is not None:
        errs.append(
            forbidden(
                child(response_path, "queuing"), "must be nil if limited.limitResponse.type is not Limited"
            )
        )
    elif kind == "Queue":
        if response.get("queuing") is None:
            errs.append(
                required(
                    child(response_path, "queuing"),
                    "must not be empty if limited.limitResponse.type is Limited",
                )
            )
        else:
            errs += _queuing(as_dict(response["queuing"]), child(response_path, "queuing"))
    elif kind not in LIMIT_RESPONSES:
        errs.append(not_supported(child(response_path, "type"), kind or "", LIMIT_RESPONSES))
    errs += _lendable(limited, path)
    borrowing = limited.get("borrowingLimitPercent")
    if is_int(borrowing) and borrowing < 0:
        errs.append(
            invalid(
                child(path, "borrowingLimitPercent"),
                borrowing,
                "if specified, must be a non-negative integer",
            )
        )
    return errs


def _queuing(queuing: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    limit, queues, hand = (queuing.get(k, 0) for k in ("queueLengthLimit", "queues", "handSize"))
    if not is_int(limit) or limit <= 0:
        errs.append(invalid(child(path, "queueLengthLimit"), limit, "must be positive"))
    if not is_int(queues) or queues <= 0:
        errs.append(invalid(child(path, "queues"), queues, "must be positive"))
    elif queues > MAX_QUEUES:
        errs.append(invalid(child(path, "queues"), queues, f"must not be greater than {MAX_QUEUES}"))
    if not is_int(hand) or hand <= 0:
        errs.append(invalid(child(path, "handSize"), hand, "must be positive"))
    elif is_int(queues) and hand > queues:
        errs.append(invalid(child(path, "handSize"), hand, f"should not be greater than queues ({queues})"))
    return errs


def _condition_types(conditions: list[Any]) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    for i, c in enumerate(conditions):
        kind = as_str(as_dict(c).get("type"))
        if not kind:
            errs.append(required(child(index("status.conditions", i), "type"), "must not be empty"))
        if kind in seen:
            errs.append(duplicate(child(index("status.conditions", i), "type"), kind))
        seen.add(kind)
    return errs
