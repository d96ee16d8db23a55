"""Table columns and the small formatting rules every printer shares.

A `Printer` is the data Kubernetes' server-side printing has for one resource: its
column definitions and a function that turns one object into the row's cells. Cells
are computed for every column, wide ones included: the server always prints wide and
kubectl hides `priority > 0` columns unless asked for `-o wide`.

Column descriptions are Kubernetes' API field documentation. Rather than carry those
paragraphs in our source, a column names the field (`doc(CORE + "PodSpec", "nodeName")`) and the
text is read, once, from the Kubernetes 1.32 OpenAPI definitions that ship with the
`kubernetes-validate` package (the same texts `kubectl explain` shows). Where Kubernetes
documents a column from a beta type it no longer serves (extensions/v1beta1 ReplicaSet,
rbac/v1beta1 RoleBinding, ...), the GA type's text stands in.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

Cells = list[Any]
RowFunc = Callable[[dict[str, Any], float], Cells]
ConditionsFunc = Callable[[dict[str, Any]], list[dict[str, str]] | None]
EMPTY: dict[str, Any] = {}


class Doc(NamedTuple):
    """A reference to the documentation of `field` in OpenAPI definition `definition`."""

    definition: str
    field: str


def doc(definition: str, field: str) -> Doc:
    return Doc(definition, field)


META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
CORE = "io.k8s.api.core.v1."
APPS = "io.k8s.api.apps.v1."
BATCH = "io.k8s.api.batch.v1."


@dataclass(slots=True, frozen=True)
class Column:
    name: str
    type: str = "string"
    description: str | Doc = ""
    format: str = ""
    priority: int = 0

    def definition(self) -> dict[str, Any]:
        desc = self.description
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": desc if isinstance(desc, str) else field_doc(desc),
            "priority": self.priority,
        }


@dataclass(slots=True, frozen=True)
class Printer:
    """Columns and row function for one resource (see the module docstring)."""

    columns: tuple[Column, ...]
    row: RowFunc
    # Row conditions (pods report `Completed`); None for kinds that have none.
    conditions: ConditionsFunc | None = None


NAME = Column("Name", format="name", description=doc(META, "name"))
AGE = Column("Age", description=doc(META, "creationTimestamp"))
CONTAINERS = Column("Containers", priority=1, description="Names of each container in the template.")
IMAGES = Column("Images", priority=1, description="Images referenced by each container in the template.")


# ---- documentation lookup ----------------------------------------------------------------------

_SCHEMA_VERSION = "v1.32.0-local"


@functools.cache
def _definitions() -> Mapping[str, Any]:
    try:
        import importlib.resources

        path = (
            importlib.resources.files("kubernetes_validate")
            / "kubernetes-json-schema"
            / _SCHEMA_VERSION
            / "_definitions.json"
        )
        loaded = orjson.loads(path.read_bytes())
    except (ImportError, OSError, orjson.JSONDecodeError):
        return {}
    return loaded.get("$defs") or loaded.get("definitions") or {}


@functools.cache
def field_doc(ref: Doc) -> str:
    """The API documentation of one field; "" when the definitions are unavailable."""
    props = (_definitions().get(ref.definition) or EMPTY).get("properties") or EMPTY
    return str((props.get(ref.field) or EMPTY).get("description", ""))


# ---- time ----------------------------------------------------------------------------------------

_PARSED: dict[str, float] = {}
_PARSED_LIMIT = 100_000


def timestamp(value: str) -> float:
    """Seconds since the epoch of an RFC 3339 `metav1.Time` or `MicroTime`."""
    # Listing the same objects again (kubectl get -w, repeated gets) reparses the same
    # strings; a bounded memo makes that a dictionary lookup.
    seconds = _PARSED.get(value)
    if seconds is None:
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        seconds = _PARSED[value] = dt.datetime.fromisoformat(value).timestamp()
    return seconds


def human_duration(seconds: float) -> str:
    """Kubernetes' `HumanDuration`: `45s`, `3m20s`, `2h5m`, `6d3h`, `3y12d`.

    More precision for short spans, less for long ones; a clock skew of under two
    seconds reads as `0s`, a larger negative span as `<invalid>`.
    """
    s = int(seconds)  # truncates toward zero, as Go's conversion does
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if hours < 24 * 365 * 8:
        return f"{years}y{days % 365}d" if days % 365 else f"{years}y"
    return f"{years}y"


def since(value: str | None, now: float) -> str:
    """Human age of a timestamp; `<unknown>` when it is unset."""
    if not value:
        return "<unknown>"
    return human_duration(now - timestamp(value))


def age(obj: dict[str, Any], now: float) -> str:
    created = (obj.get("metadata") or EMPTY).get("creationTimestamp")
    return human_duration(now - timestamp(created)) if created else "<unknown>"


# ---- common cell formats ---------------------------------------------------------------------


def name_of(obj: dict[str, Any]) -> str:
    return (obj.get("metadata") or EMPTY).get("name") or ""


def format_labels(labels: Mapping[str, str] | None) -> str:
    """`a=1,b=2` sorted by key, `<none>` when empty (Kubernetes' `FormatLabels`)."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def format_selector(
    selector: Mapping[str, Any] | None, *, empty: str = "<none>", invalid: str = "<error>"
) -> str:
    """A `metav1.LabelSelector` as text; `empty` when it selects all or nothing."""
    from kubelite.api.errors import BadRequest
    from kubelite.api.selectors import format_label_selector

    try:
        return format_label_selector(selector) or empty
    except BadRequest:
        return invalid


def container_cells(pod_spec: Mapping[str, Any] | None) -> tuple[str, str]:
    """Container names and images, each comma-joined."""
    containers = (pod_spec or EMPTY).get("containers") or ()
    return (
        ",".join(c.get("name") or "" for c in containers),
        ",".join(c.get("image") or "" for c in containers),
    )


def template_spec(obj: dict[str, Any]) -> Mapping[str, Any]:
    """`spec.template.spec` of a workload."""
    return ((((obj.get("spec") or EMPTY).get("template")) or EMPTY).get("spec")) or EMPTY


def join_limited(items: Iterable[str], total: int, limit: int = 3) -> str:
    """`a,b,c + 2 more...`: the first `limit` items and how many were left out."""
    shown = list(items)[:limit]
    text = ",".join(shown)
    if total > limit:
        return f"{text} + {total - limit} more..."
    return text


def load_balancer_addresses(status: Mapping[str, Any] | None) -> list[str]:
    """Sorted, distinct IPs (else hostnames) of a Service's or Ingress's `status.loadBalancer`."""
    ingress = ((status or EMPTY).get("loadBalancer") or EMPTY).get("ingress") or ()
    return sorted({i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")})
