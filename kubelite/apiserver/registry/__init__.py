"""The generic registry: create, read, update, delete and watch any resource type.

Every kind goes through the same steps; per-kind differences are data (`strategy.py`),
the admission chain (`Admission`, see `kubelite.apiserver.admission`) and the defaulting and validation
functions of `kubelite.api`. One module per concept:

    options.py   what a request hands the registry: RequestContext, ListOptions,
                 DeleteOptions, AdmissionAttributes and the Admission seam; ListPage
    core.py      the dependencies and consistent reads of the watch cache
    reads.py     get, paged list (cache, or store at the snapshot), watch registration
    writes.py    create and update (defaults, strategy, managedFields, validation,
                 admission, compare-and-swap)
    deletion.py  preconditions, graceful deletion and finalizers, final delete

`Registry` is the three verb families over one set of dependencies.
"""

from __future__ import annotations

from kubelite.apiserver.registry.deletion import RETURNS_DELETED_OBJECT, Deletion
from kubelite.apiserver.registry.options import (
    Admission,
    AdmissionAttributes,
    DeleteOptions,
    ListOptions,
    ListPage,
    RequestContext,
)
from kubelite.apiserver.registry.reads import Reads, decode_continue, encode_continue
from kubelite.apiserver.registry.writes import Writes

__all__ = [
    "RETURNS_DELETED_OBJECT",
    "Admission",
    "AdmissionAttributes",
    "DeleteOptions",
    "ListOptions",
    "ListPage",
    "Registry",
    "RequestContext",
    "decode_continue",
    "encode_continue",
]


class Registry(Reads, Writes, Deletion):
    """Reads, writes and deletion of every resource type, sharing one store and cache."""
