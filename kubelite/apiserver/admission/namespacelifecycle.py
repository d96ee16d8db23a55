"""NamespaceLifecycle: nothing is created in a namespace that is missing or going away,
and the namespaces the system needs cannot be deleted.

    CREATE of a namespaced object, namespace missing      -> 404 namespaces "x" not found
    CREATE of a namespaced object, namespace terminating  -> 403 ... because it is being
                                                             terminated (cause NamespaceTerminating)
    DELETE of namespace default, kube-system, kube-public  -> 403 this namespace may not be deleted

It runs first in the chain, so a pod sent to a missing namespace is told so before any other
plugin looks for that namespace's service account or limits.
"""

from __future__ import annotations

from kubelite.api import errors
from kubelite.apiserver.admission.chain import Plugin, forbidden
from kubelite.apiserver.admission.objects import Objects
from kubelite.apiserver.registry import AdmissionAttributes

IMMORTAL = frozenset({"default", "kube-system", "kube-public"})


class NamespaceLifecycle(Plugin):
    NAME = "NamespaceLifecycle"

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.namespaces = objects.type("", "v1", "namespaces")

    async def admit(self, attrs: AdmissionAttributes) -> None:
        rt = attrs.rt
        if attrs.operation == "DELETE" and rt.group == "" and rt.kind == "Namespace":
            if attrs.name in IMMORTAL:
                raise forbidden(attrs, "this namespace may not be deleted")
            return
        if attrs.operation != "CREATE" or not rt.namespaced or attrs.subresource:
            return
        ns = await self.objects.get(self.namespaces, "", attrs.namespace)
        if ns is None:
            raise errors.not_found("namespaces", "", attrs.namespace)
        if ns["metadata"].get("deletionTimestamp"):
            err = forbidden(
                attrs,
                f"unable to create new content in namespace {attrs.namespace} because it is being terminated",
            )
            assert err.details is not None
            err.details["causes"] = [
                {
                    "reason": "NamespaceTerminating",
                    "field": "metadata.namespace",
                    "message": f"namespace {attrs.namespace} is being terminated",
                }
            ]
            raise err

    # DELETE passes only the validating phase of the registry's delete path.
    async def validate(self, attrs: AdmissionAttributes) -> None:
        if attrs.operation == "DELETE":
            await self.admit(attrs)
