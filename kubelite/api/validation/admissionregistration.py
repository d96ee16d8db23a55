"""admissionregistration.k8s.io/v1: webhook configurations, ValidatingAdmissionPolicies and
their bindings.

kubelite stores and validates these but does not call webhooks or evaluate policies yet
(docs/compatibility.md). CEL expressions are checked for presence, not compiled.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from kubelite.api import names
from kubelite.api.errors import duplicate, forbidden, invalid, not_supported, required
from kubelite.api.validation.fields import Errors, as_dict, as_list, as_str, child, index, is_int
from kubelite.api.validation.meta import validate_label_selector

FAILURE_POLICIES = ["Fail", "Ignore"]
MATCH_POLICIES = ["Equivalent", "Exact"]
NO_SIDE_EFFECTS = ["None", "NoneOnDryRun"]
OPERATIONS = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"]
REINVOCATION_POLICIES = ["IfNeeded", "Never"]
SCOPES = ["*", "Cluster", "Namespaced"]
REVIEW_VERSIONS = ("v1", "v1beta1")
VALIDATION_ACTIONS = ["Audit", "Deny", "Warn"]
NOT_FOUND_ACTIONS = ["Deny", "Allow"]
REASONS = ["Forbidden", "Invalid", "RequestEntityTooLarge", "Unauthorized"]


def fully_qualified_name(path: str, name: str) -> Errors:
    if not name:
        return [required(path)]
    problems = names.is_dns1123_subdomain(name.lower())
    if problems:
        return [invalid(path, name, ",".join(problems))]
    if len(name.split(".")) < 3:
        return [invalid(path, name, "should be a domain with at least three segments separated by dots")]
    return []


# ---- webhook configurations ----------------------------------------------------------------------


def validate_validating_webhook_configuration(obj: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    return _webhooks(obj, mutating=False)


def validate_mutating_webhook_configuration(obj: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    return _webhooks(obj, mutating=True)


def _webhooks(obj: dict[str, Any], *, mutating: bool) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    for i, hook in enumerate(as_list(obj.get("webhooks"))):
        hook = as_dict(hook)
        path = index("webhooks", i)
        errs += _webhook(hook, path, mutating)
        name = as_str(hook.get("name"))
        if name in seen:
            errs.append(duplicate(child(path, "name"), name))
        seen.add(name)
    return errs


def _webhook(hook: dict[str, Any], path: str, mutating: bool) -> Errors:
    errs = fully_qualified_name(child(path, "name"), as_str(hook.get("name")))
    for i, rule in enumerate(as_list(hook.get("rules"))):
        errs += _rule_with_operations(as_dict(rule), index(child(path, "rules"), i))
    errs += _enum(hook, "failurePolicy", FAILURE_POLICIES, path)
    errs += _enum(hook, "matchPolicy", MATCH_POLICIES, path)
    if hook.get("sideEffects") is None:
        errs.append(required(child(path, "sideEffects"), "must specify one of " + ", ".join(NO_SIDE_EFFECTS)))
    errs += _enum(hook, "sideEffects", NO_SIDE_EFFECTS, path)
    timeout = hook.get("timeoutSeconds")
    if is_int(timeout) and not 1 <= timeout <= 30:
        errs.append(
            invalid(
                child(path, "timeoutSeconds"), timeout, "the timeout value must be between 1 and 30 seconds"
            )
        )
    errs += _review_versions(
        as_list(hook.get("admissionReviewVersions")), child(path, "admissionReviewVersions")
    )
    if mutating:
        errs += _enum(hook, "reinvocationPolicy", REINVOCATION_POLICIES, path)
    for selector in ("namespaceSelector", "objectSelector"):
        if hook.get(selector) is not None:
            errs += validate_label_selector(hook[selector], child(path, selector))
    errs += _client_config(as_dict(hook.get("clientConfig")), child(path, "clientConfig"))
    errs += _match_conditions(hook.get("matchConditions"), child(path, "matchConditions"))
    return errs


def _enum(obj: dict[str, Any], field: str, allowed: list[str], path: str) -> Errors:
    value = obj.get(field)
    if value is not None and value not in allowed:
        return [not_supported(child(path, field), value, allowed)]
    return []


def _review_versions(versions: list[Any], path: str) -> Errors:
    if not versions:
        return [required(path, "must specify one of " + ", ".join(REVIEW_VERSIONS))]
    errs: Errors = []
    seen: set[str] = set()
    for i, v in enumerate(versions):
        v = as_str(v)
        if v in seen:
            errs.append(invalid(index(path, i), v, "duplicate version"))
            continue
        seen.add(v)
        errs += [invalid(index(path, i), v, m) for m in names.is_dns1035_label(v)]
    if not seen & set(REVIEW_VERSIONS):
        errs.append(invalid(path, versions, "must include at least one of " + ", ".join(REVIEW_VERSIONS)))
    return errs


def _client_config(cc: dict[str, Any], path: str) -> Errors:
    url, service = cc.get("url"), cc.get("service")
    if (url is None) == (service is None):
        return [required(path, "exactly one of url or service is required")]
    if url is not None:
        return _url(child(path, "url"), as_str(url))
    return _service(child(path, "service"), as_dict(service))


def _url(path: str, url: str) -> Errors:
    form = "; desired format: https://host[/path]"
    parts = urlsplit(url)
    errs: Errors = []
    if parts.scheme != "https":
        errs.append(invalid(path, parts.scheme, "'https' is the only allowed URL scheme" + form))
    if not parts.hostname:
        errs.append(invalid(path, parts.netloc, "host must be specified" + form))
    if parts.username is not None:
        errs.append(invalid(path, parts.username, "user information is not permitted in the URL"))
    if parts.fragment:
        errs.append(invalid(path, parts.fragment, "fragments are not permitted in the URL"))
    if parts.query:
        errs.append(invalid(path, parts.query, "query parameters are not permitted in the URL"))
    return errs


def _service(path: str, service: dict[str, Any]) -> Errors:
    errs: Errors = []
    if not as_str(service.get("name")):
        errs.append(required(child(path, "name"), "service name is required"))
    if not as_str(service.get("namespace")):
        errs.append(required(child(path, "namespace"), "service namespace is required"))
    port = service.get("port")
    if is_int(port) and not 1 <= port <= 65535:
        errs.append(
            invalid(child(path, "port"), port, "port is not valid: must be between 1 and 65535, inclusive")
        )
    url_path = service.get("path")
    if isinstance(url_path, str) and url_path and not url_path.startswith("/"):
        errs.append(invalid(child(path, "path"), url_path, "must start with a '/'"))
    return errs


def _rule_with_operations(rule: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    operations = as_list(rule.get("operations"))
    if not operations:
        errs.append(required(child(path, "operations")))
    if len(operations) > 1 and "*" in operations:
        errs.append(
            invalid(
                child(path, "operations"), operations, "if '*' is present, must not specify other operations"
            )
        )
    for i, op in enumerate(operations):
        if op not in OPERATIONS:
            errs.append(not_supported(index(child(path, "operations"), i), op, OPERATIONS))
    return errs + _rule(rule, path)


def _rule(rule: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    for field, what in (("apiGroups", "API groups"), ("apiVersions", "API versions")):
        values = as_list(rule.get(field))
        if not values:
            errs.append(required(child(path, field)))
        elif len(values) > 1 and "*" in values:
            errs.append(
                invalid(child(path, field), values, f"if '*' is present, must not specify other {what}")
            )
    for i, v in enumerate(as_list(rule.get("apiVersions"))):
        if not v:
            errs.append(required(index(child(path, "apiVersions"), i)))
    resources = as_list(rule.get("resources"))
    if not resources:
        errs.append(required(child(path, "resources")))
    for i, res in enumerate(resources):
        if not res:
            errs.append(required(index(child(path, "resources"), i)))
    if "*/*" in resources and len(resources) > 1:
        errs.append(
            invalid(
                child(path, "resources"), resources, "if '*/*' is present, must not specify other resources"
            )
        )
    elif "*" in resources and any("/" not in as_str(r) and r != "*" for r in resources):
        errs.append(
            invalid(
                child(path, "resources"),
                resources,
                "if '*' is present, must not specify other resources without subresources",
            )
        )
    scope = rule.get("scope")
    if scope is not None and scope not in SCOPES:
        errs.append(not_supported(child(path, "scope"), scope, SCOPES))
    return errs


def _match_conditions(conditions: Any, path: str) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    for i, cond in enumerate(as_list(conditions)):
        cond = as_dict(cond)
        item = index(path, i)
        name = as_str(cond.get("name"))
        if not name:
            errs.append(required(child(item, "name")))
        else:
            errs += [invalid(child(item, "name"), name, m) for m in names.is_qualified_name(name)]
        if name in seen:
            errs.append(duplicate(child(item, "name"), name))
        seen.add(name)
        if not as_str(cond.get("expression")):
            errs.append(required(child(item, "expression")))
    return errs


# ---- ValidatingAdmissionPolicy and its bindings ----------------------------------------------------


def validate_validating_admission_policy(obj: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(obj.get("spec"))
    errs: Errors = []
    policy = spec.get("failurePolicy")
    if policy is None:
        errs.append(required("spec.failurePolicy"))
    elif policy not in FAILURE_POLICIES:
        errs.append(not_supported("spec.failurePolicy", policy, FAILURE_POLICIES))
    if spec.get("paramKind") is not None:
        errs += _param_kind(as_dict(spec["paramKind"]), "spec.paramKind")
    constraints = spec.get("matchConstraints")
    if constraints is None:
        errs.append(required("spec.matchConstraints"))
    else:
        errs += _match_resources(as_dict(constraints), "spec.matchConstraints")
        if not as_list(as_dict(constraints).get("resourceRules")):
            errs.append(required("spec.matchConstraints.resourceRules"))
    errs += _match_conditions(spec.get("matchConditions"), "spec.matchConditions")
    validations, audits = as_list(spec.get("validations")), as_list(spec.get("auditAnnotations"))
    if not validations and not audits:
        errs.append(
            required("spec.validations", "validations or auditAnnotations must contain at least one item")
        )
        errs.append(
            required(
                "spec.auditAnnotations", "validations or auditAnnotations must contain at least one item"
            )
        )
    for i, v in enumerate(validations):
        errs += _validation(as_dict(v), index("spec.validations", i))
    for i, variable in enumerate(as_list(spec.get("variables"))):
        variable, item = as_dict(variable), index("spec.variables", i)
        if not as_str(variable.get("name")):
            errs.append(required(child(item, "name"), "name is not specified"))
        if not as_str(variable.get("expression")):
            errs.append(required(child(item, "expression"), "expression is not specified"))
    return errs


def _validation(v: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    expression = as_str(v.get("expression"))
    if not expression.strip():
        errs.append(required(child(path, "expression"), "expression is not specified"))
    message = v.get("message")
    if isinstance(message, str):
        if message and not message.strip():
            errs.append(invalid(child(path, "message"), message, "message must be non-empty if specified"))
        elif "\n" in message:
            errs.append(invalid(child(path, "message"), message, "message must not contain line breaks"))
    elif "\n" in expression:
        errs.append(
            required(child(path, "message"), "message must be specified if expression contains line breaks")
        )
    reason = v.get("reason")
    if reason is not None and reason not in REASONS:
        errs.append(not_supported(child(path, "reason"), reason, REASONS))
    return errs


def _param_kind(kind: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    if not as_str(kind.get("apiVersion")):
        errs.append(required(child(path, "apiVersion")))
    if not as_str(kind.get("kind")):
        errs.append(required(child(path, "kind")))
    return errs


def _match_resources(mc: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    policy = mc.get("matchPolicy")
    if policy is None:
        errs.append(required(child(path, "matchPolicy")))
    elif policy not in MATCH_POLICIES:
        errs.append(not_supported(child(path, "matchPolicy"), policy, MATCH_POLICIES))
    for selector in ("namespaceSelector", "objectSelector"):
        if mc.get(selector) is None:
            errs.append(required(child(path, selector)))
        else:
            errs += validate_label_selector(mc[selector], child(path, selector))
    for field in ("resourceRules", "excludeResourceRules"):
        for i, rule in enumerate(as_list(mc.get(field))):
            errs += _rule_with_operations(as_dict(rule), index(child(path, field), i))
    return errs


def validate_validating_admission_policy_binding(obj: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(obj.get("spec"))
    errs: Errors = []
    policy = as_str(spec.get("policyName"))
    if not policy:
        errs.append(required("spec.policyName"))
    else:
        errs += [invalid("spec.policyName", policy, m) for m in names.is_dns1123_subdomain(policy)]
    if spec.get("paramRef") is not None:
        errs += _param_ref(as_dict(spec["paramRef"]), "spec.paramRef")
    if spec.get("matchResources") is not None:
        errs += _match_resources(as_dict(spec["matchResources"]), "spec.matchResources")
    errs += _validation_actions(as_list(spec.get("validationActions")), "spec.validationActions")
    return errs


def _param_ref(ref: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    name, selector = ref.get("name"), ref.get("selector")
    if name is not None and selector is not None:
        errs.append(forbidden(child(path, "name"), "name and selector are mutually exclusive"))
        errs.append(forbidden(child(path, "selector"), "name and selector are mutually exclusive"))
    elif name is None and selector is None:
        errs.append(required(path, "one of name or selector must be specified"))
    action = ref.get("parameterNotFoundAction")
    if action is None:
        errs.append(required(child(path, "parameterNotFoundAction")))
    elif action not in NOT_FOUND_ACTIONS:
        errs.append(not_supported(child(path, "parameterNotFoundAction"), action, NOT_FOUND_ACTIONS))
    return errs


def _validation_actions(actions: list[Any], path: str) -> Errors:
    if not actions:
        return [required(path, "at least one validation action is required")]
    errs: Errors = []
    seen: set[str] = set()
    for i, action in enumerate(actions):
        if action not in VALIDATION_ACTIONS:
            errs.append(not_supported(index(path, i), action, VALIDATION_ACTIONS))
        if action in seen:
            errs.append(duplicate(index(path, i), action))
        seen.add(as_str(action))
    if {"Deny", "Warn"} <= seen:
        errs.append(
            invalid(
                path,
                actions,
                "must not contain both Deny and Warn (repeating the same validation failure "
                "information in the API response and headers serves no purpose)",
            )
        )
    return errs
