"""Label and field selectors: parsing, matching, and the fields each resource exposes.

A *label selector* filters objects by `metadata.labels`; a *field selector* by a small,
per-resource set of fields (`spec.nodeName` on pods, `involvedObject.uid` on events).
List and watch requests carry them as the `labelSelector` and `fieldSelector` query
parameters; controllers build label selectors from the `metav1.LabelSelector` objects
in their specs (`selector_from_label_selector_object`).

Both are parsed once into immutable values, then matched against every object of a
list and every watch event; matching is dictionary lookups over precomputed tuples (no
regular expressions, no parsing, no allocation per match).

    labels            LabelSelector, Requirement, metav1.LabelSelector conversion
    grammar           parse_label_selector: the string syntax and its error messages
    messages          Kubernetes' wording of selector errors (the rules: kubelite.api.names)
    fields            FieldSelector, parse_field_selector, validate_field_selector
    resource_fields   object_fields: what each resource lets a field selector test

Grammar and messages follow Kubernetes 1.32 (apimachinery `labels` and `fields`, and
each kind's field label conversion), so clients see the same `BadRequest` text.
"""

from kubelite.api.selectors.fields import (
    FieldRequirement,
    FieldSelector,
    escape_field_value,
    parse_field_selector,
    supported_fields,
    validate_field_selector,
)
from kubelite.api.selectors.grammar import parse_label_selector
from kubelite.api.selectors.labels import (
    LabelSelector,
    Requirement,
    format_label_selector,
    selector_from_label_selector_object,
    selector_from_set,
)
from kubelite.api.selectors.resource_fields import object_fields

__all__ = [
    "FieldRequirement",
    "FieldSelector",
    "LabelSelector",
    "Requirement",
    "escape_field_value",
    "format_label_selector",
    "object_fields",
    "parse_field_selector",
    "parse_label_selector",
    "selector_from_label_selector_object",
    "selector_from_set",
    "supported_fields",
    "validate_field_selector",
]
