"""Cluster plumbing as table rows: leases, priority classes, RBAC bindings."""

from __future__ import annotations

from typing import Any

from kubelite.apiserver.printers.columns import (
    AGE,
    EMPTY,
    NAME,
    Cells,
    Column,
    Printer,
    age,
    doc,
    name_of,
)

_RBAC = "io.k8s.api.rbac.v1."
_PRIORITY_CLASS = "io.k8s.api.scheduling.v1.PriorityClass"


def lease_row(obj: dict[str, Any], now: float) -> Cells:
    return [name_of(obj), (obj.get("spec") or EMPTY).get("holderIdentity") or "", age(obj, now)]


def priority_class_row(obj: dict[str, Any], now: float) -> Cells:
    return [
        name_of(obj),
        obj.get("value") or 0,
        bool(obj.get("globalDefault")),
        age(obj, now),
        obj.get("preemptionPolicy") or "PreemptLowerPriority",
    ]


def binding_subjects(subjects: list[dict[str, Any]] | None) -> tuple[str, str, str]:
    """Users, groups and service accounts (`namespace/name`), each `, `-joined."""
    users, groups, accounts = [], [], []
    for s in subjects or ():
        kind, name = s.get("kind"), s.get("name") or ""
        if kind == "ServiceAccount":
            accounts.append(f"{s.get('namespace') or ''}/{name}")
        elif kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
    return ", ".join(users), ", ".join(groups), ", ".join(accounts)


def binding_row(obj: dict[str, Any], now: float) -> Cells:
    ref = obj.get("roleRef") or EMPTY
    return [
        name_of(obj),
        f"{ref.get('kind') or ''}/{ref.get('name') or ''}",
        age(obj, now),
        *binding_subjects(obj.get("subjects")),
    ]


def _binding_columns(kind: str, noun: str) -> tuple[Column, ...]:
    return (
        NAME,
        Column("Role", description=doc(_RBAC + kind, "roleRef")),
        AGE,
        Column("Users", priority=1, description=f"Users in the {noun}"),
        Column("Groups", priority=1, description=f"Groups in the {noun}"),
        Column("ServiceAccounts", priority=1, description=f"ServiceAccounts in the {noun}"),
    )


PRINTERS = {
    ("coordination.k8s.io", "leases"): Printer(
        (
            NAME,
            Column("Holder", description=doc("io.k8s.api.coordination.v1.LeaseSpec", "holderIdentity")),
            AGE,
        ),
        lease_row,
    ),
    ("scheduling.k8s.io", "priorityclasses"): Printer(
        (
            NAME,
            Column("Value", "integer", doc(_PRIORITY_CLASS, "value")),
            Column("Global-Default", "boolean", doc(_PRIORITY_CLASS, "globalDefault")),
            AGE,
            # Kubernetes fills this cell only for wide output but leaves the column at priority 0.
            Column("PreemptionPolicy", description=doc(_PRIORITY_CLASS, "preemptionPolicy")),
        ),
        priority_class_row,
    ),
    ("rbac.authorization.k8s.io", "rolebindings"): Printer(
        _binding_columns("RoleBinding", "roleBinding"), binding_row
    ),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): Printer(
        _binding_columns("ClusterRoleBinding", "clusterRoleBinding"), binding_row
    ),
}
