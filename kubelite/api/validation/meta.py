"""ObjectMeta, labels, annotations and label selectors, for every kind.

`validate_object_meta` is what every create runs first; `validate_object_meta_update`
adds the rules an update must keep (identity fields do not move, finalizers cannot be
added to an object that is going away). Selector matching lives here too because the
workload validators must check that a selector picks its own template.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import forbidden, invalid, required, too_long
from kubelite.api.validation.fields import (
    Errors,
    as_dict,
    as_list,
    as_str,
    child,
    immutable,
    index,
    nonnegative,
)

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
STANDARD_FINALIZERS = ("kubernetes", "orphan", "foregroundDeletion")
_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


# ---- labels and annotations ---------------------------------------------------------------


def validate_label_name(name: str, path: str) -> Errors:
    return [invalid(path, name, msg) for msg in names.is_qualified_name(name)]


def validate_labels(labels: Any, path: str) -> Errors:
    errs: Errors = []
    if labels is None:
        return errs
    if not isinstance(labels, dict):
        return [invalid(path, labels, "must be a map of string keys to string values")]
    for k, v in labels.items():
        errs += validate_label_name(k, path)
        if not isinstance(v, str):
            errs.append(invalid(path, v, "must be a string"))
            continue
        errs += [invalid(path, v, msg) for msg in names.is_label_value(v)]
    return errs


def validate_annotations(annotations: Any, path: str) -> Errors:
    errs: Errors = []
    if annotations is None:
        return errs
    if not isinstance(annotations, dict):
        return [invalid(path, annotations, "must be a map of string keys to string values")]
    total = 0
    for k, v in annotations.items():
        # Annotation keys are qualified names compared case-insensitively.
        errs += [invalid(path, k, msg) for msg in names.is_qualified_name(k.lower())]
        total += len(k.encode()) + len(str(v).encode())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(too_long(path, "", TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


# ---- label selectors ----------------------------------------------------------------------


def validate_label_selector(selector: Any, path: str) -> Errors:
    if selector is None:
        return []
    sel = as_dict(selector)
    errs = validate_labels(sel.get("matchLabels"), child(path, "matchLabels"))
    for i, expr in enumerate(as_list(sel.get("matchExpressions"))):
        errs += validate_requirement(as_dict(expr), index(child(path, "matchExpressions"), i))
    return errs


def validate_requirement(req: dict[str, Any], path: str, *, node: bool = False) -> Errors:
    """One `matchExpressions` entry: of a label selector (In, NotIn, Exists, DoesNotExist; the
    values must be label values) or, with `node`, of a node selector term (also Gt and Lt, with
    exactly one value; values are not label values there)."""
    errs: Errors = []
    op, values = req.get("operator"), as_list(req.get("values"))
    if op in ("In", "NotIn"):
        if not values:
            errs.append(
                required(child(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'")
            )
    elif op in ("Exists", "DoesNotExist"):
        if values:
            message = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
            errs.append(forbidden(child(path, "values"), message))
    elif node and op in ("Gt", "Lt"):
        if len(values) != 1:
            message = "must be specified single value when `operator` is 'Lt' or 'Gt'"
            errs.append(required(child(path, "values"), message))
    else:
        errs.append(
            invalid(child(path, "operator"), op if op is not None else "", "not a valid selector operator")
        )
    errs += validate_label_name(as_str(req.get("key")), child(path, "key"))
    if not node:
        for i, v in enumerate(values):
            errs += [invalid(index(child(path, "values"), i), v, msg) for msg in names.is_label_value(str(v))]
    return errs


def selector_converts(selector: Any) -> bool:
    """Whether a LabelSelector turns into a selector at all (operators, keys and values valid)."""
    sel = as_dict(selector)
    for k, v in as_dict(sel.get("matchLabels")).items():
        if names.is_qualified_name(str(k)) or not isinstance(v, str) or names.is_label_value(v):
            return False
    for expr in as_list(sel.get("matchExpressions")):
        expr = as_dict(expr)
        op, values = expr.get("operator"), as_list(expr.get("values"))
        if op not in _SELECTOR_OPERATORS or (op in ("In", "NotIn")) != bool(values):
            return False
        if names.is_qualified_name(as_str(expr.get("key"))):
            return False
        if any(not isinstance(v, str) or names.is_label_value(v) for v in values):
            return False
    return True


def selector_is_empty(selector: Any) -> bool:
    sel = as_dict(selector)
    return not as_dict(sel.get("matchLabels")) and not as_list(sel.get("matchExpressions"))


def selector_matches(selector: Any, labels: Any) -> bool:
    """Whether a LabelSelector picks an object with these labels (empty selects all)."""
    sel, labels = as_dict(selector), as_dict(labels)
    for name, value in as_dict(sel.get("matchLabels")).items():
        if labels.get(name) != value:
            return False
    for raw in as_list(sel.get("matchExpressions")):
        expr = as_dict(raw)
        k, op, values = as_str(expr.get("key")), expr.get("operator"), as_list(expr.get("values"))
        present = k in labels
        if op == "In" and not (present and labels[k] in values):
            return False
        if op == "NotIn" and present and labels[k] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
        if op not in _SELECTOR_OPERATORS:
            return False
    return True


def map_selector_matches(selector: Any, labels: Any) -> bool:
    """Whether an equality-only selector (ReplicationController, Service) picks these labels."""
    labels = as_dict(labels)
    return all(labels.get(k) == v for k, v in as_dict(selector).items())


# ---- ObjectMeta ---------------------------------------------------------------------------


def validate_object_meta(
    meta: Any, *, namespaced: bool, name_fn: names.NameValidator, builtin: bool = True, path: str = "metadata"
) -> Errors:
    m = as_dict(meta)
    errs: Errors = []
    name, generate = as_str(m.get("name")), as_str(m.get("generateName"))
    if generate:
        errs += [invalid(child(path, "generateName"), generate, msg) for msg in name_fn(generate, True)]
    if not name:
        if not generate:
            errs.append(required(child(path, "name"), "name or generateName is required"))
    else:
        errs += [invalid(child(path, "name"), name, msg) for msg in name_fn(name, False)]
    namespace = as_str(m.get("namespace"))
    if namespaced:
        if not namespace:
            errs.append(required(child(path, "namespace")))
        else:
            errs += [
                invalid(child(path, "namespace"), namespace, msg)
                for msg in names.name_is_dns_label(namespace)
            ]
    elif namespace:
        errs.append(forbidden(child(path, "namespace"), "not allowed on this type"))
    errs += nonnegative(m.get("generation"), child(path, "generation"))
    errs += _validate_common(m, path, builtin)
    return errs


def _validate_common(m: dict[str, Any], path: str, builtin: bool) -> Errors:
    errs = validate_labels(m.get("labels"), child(path, "labels"))
    errs += validate_annotations(m.get("annotations"), child(path, "annotations"))
    errs += validate_owner_references(m.get("ownerReferences"), child(path, "ownerReferences"))
    errs += validate_finalizers(m.get("finalizers"), child(path, "finalizers"), builtin)
    return errs


def validate_owner_references(refs: Any, path: str) -> Errors:
    errs: Errors = []
    controller = ""
    for ref in as_list(refs):
        ref = as_dict(ref)
        api_version, kind = as_str(ref.get("apiVersion")), as_str(ref.get("kind"))
        version = api_version.rsplit("/", 1)[-1]
        if not version:
            errs.append(invalid(child(path, "apiVersion"), api_version, "version must not be empty"))
        for field in ("kind", "name", "uid"):
            if not as_str(ref.get(field)):
                errs.append(invalid(child(path, field), as_str(ref.get(field)), "must not be empty"))
        if api_version == "v1" and kind == "Event":
            errs.append(invalid(path, ref, "/v1, Kind=Event is disallowed from being an owner"))
        if ref.get("controller") is True:
            current = f"{kind}/{as_str(ref.get('name'))}"
            if controller:
                errs.append(
                    invalid(
                        path,
                        refs,
                        "Only one reference can have Controller set to true. "
                        f'Found "true" in references for {controller} and {current}',
                    )
                )
            else:
                controller = current
    return errs


def validate_finalizers(finalizers: Any, path: str, builtin: bool = True) -> Errors:
    errs: Errors = []
    values = [f for f in as_list(finalizers) if isinstance(f, str)]
    for i, name in enumerate(values):
        errs += [invalid(path, name, msg) for msg in names.is_qualified_name(name)]
        if builtin and "/" not in name and name not in STANDARD_FINALIZERS:
            errs.append(
                invalid(
                    index(path, i),
                    name,
                    "name is neither a standard finalizer name nor is it fully qualified",
                )
            )
    if "orphan" in values and "foregroundDeletion" in values:
        errs.append(invalid(path, values, "finalizer orphan and foregroundDeletion cannot be both set"))
    return errs


def validate_object_meta_update(
    new: Any, old: Any, *, builtin: bool = True, path: str = "metadata"
) -> Errors:
    """What an update may not change; fields the client left out are filled by the server."""
    n, o = as_dict(new), as_dict(old)
    errs: Errors = []
    if o.get("deletionTimestamp"):
        added = sorted(set(as_list(n.get("finalizers"))) - set(as_list(o.get("finalizers"))))
        if added:
            shown = "[]string{" + ", ".join(f'"{f}"' for f in added) + "}"
            errs.append(
                forbidden(
                    child(path, "finalizers"),
                    "no new finalizers can be added if the object "
                    f"is being deleted, found new finalizers {shown}",
                )
            )
    if (
        isinstance(n.get("generation"), int)
        and isinstance(o.get("generation"), int)
        and n["generation"] < o["generation"]
    ):
        errs.append(invalid(child(path, "generation"), n["generation"], "must not be decremented"))
    for field in ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp"):
        if n.get(field) and field in o:
            errs += immutable(n.get(field), o.get(field), child(path, field))
    errs += _validate_common(n, path, builtin)
    return errs


__all__ = [
    "selector_converts",
    "map_selector_matches",
    "selector_is_empty",
    "selector_matches",
    "validate_annotations",
    "validate_label_name",
    "validate_label_selector",
    "validate_labels",
    "validate_object_meta",
    "validate_object_meta_update",
]
