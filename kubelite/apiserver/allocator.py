"""ClusterIP and NodePort allocation for Services, done by the API server as Kubernetes does.

The write path runs it after the admission chain (see kubelite/apiserver/admission/chain.py).
Each allocated address or port is a key in storage (`/registry/ipaddresses/<ip>`,
`/registry/servicenodeports/<port>`), created with create-if-absent, so two API servers
sharing one etcd can never hand out the same one (the manner of Kubernetes' IPAddress
objects). The keys are released when the Service is deleted or stops needing them.
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any

import orjson

from kubelite.api import errors, meta
from kubelite.api.resources import ResourceType
from kubelite.apiserver.registry import Admission, AdmissionAttributes
from kubelite.storage.interface import KeyExistsError, KeyNotFoundError, Store

IP_PREFIX = "/registry/ipaddresses/"
PORT_PREFIX = "/registry/servicenodeports/"
_NODEPORT_TYPES = ("NodePort", "LoadBalancer")


def _is_service(rt: ResourceType) -> bool:
    return rt.group == "" and rt.kind == "Service"


class ServiceAllocator(Admission):
    def __init__(
        self,
        store: Store,
        *,
        service_cidr: str = "10.96.0.0/12",
        node_port_range: tuple[int, int] = (30000, 32767),
    ) -> None:
        self.store = store
        self.network = ipaddress.ip_network(service_cidr)
        self.ports = node_port_range

    @property
    def first_ip(self) -> str:
        """The address of the `kubernetes` Service: the first one in the range."""
        return str(self.network.network_address + 1)

    # ---- the write path's hooks (run after the admission chain) ---------------------------

    async def validate(self, attrs: AdmissionAttributes) -> None:
        if attrs.obj is None or attrs.subresource or not _is_service(attrs.rt):
            return
        if attrs.operation == "CREATE":
            await self._on_create(attrs.obj, attrs.dry_run)
        elif attrs.operation == "UPDATE" and attrs.old is not None:
            await self._on_update(attrs.obj, attrs.old, attrs.dry_run)

    async def _on_create(self, obj: dict[str, Any], dry_run: bool) -> None:
        spec = obj.setdefault("spec", {})
        owner = _owner(obj)
        if spec.get("type") != "ExternalName":
            await self._assign_ip(spec, owner, dry_run)
        else:
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        await self._assign_node_ports(spec, owner, dry_run, previous=set())

    async def _on_update(self, new: dict[str, Any], old: dict[str, Any], dry_run: bool) -> None:
        spec, old_spec = new.setdefault("spec", {}), old.get("spec") or {}
        # Values the server allocated survive an update that leaves them out.
        if not spec.get("clusterIP") and old_spec.get("clusterIP") and spec.get("type") != "ExternalName":
            spec["clusterIP"] = old_spec["clusterIP"]
            spec["clusterIPs"] = old_spec.get("clusterIPs") or [old_spec["clusterIP"]]
        old_ports = {p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or []}
        if spec.get("type") in _NODEPORT_TYPES:
            for p in spec.get("ports") or []:
                if not p.get("nodePort") and old_ports.get(p.get("port")):
                    p["nodePort"] = old_ports[p.get("port")]
        if spec.get("type") != "ExternalName" and not spec.get("clusterIP"):
            await self._assign_ip(spec, _owner(new), dry_run)
        before = {p for p in old_ports.values() if p}
        await self._assign_node_ports(spec, _owner(new), dry_run, previous=before)
        if not dry_run:
            now = {p.get("nodePort") for p in spec.get("ports") or [] if p.get("nodePort")}
            for port in before - now:
                await self._release(PORT_PREFIX + str(port))
            if old_spec.get("clusterIP") not in (None, "", "None") and spec.get("clusterIP") != old_spec.get(
                "clusterIP"
            ):
                await self._release(IP_PREFIX + old_spec["clusterIP"])

    async def create_failed(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        if _is_service(rt):
            await self.release_all(obj)

    async def deleted(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        if _is_service(rt):
            await self.release_all(obj)

    # ---- allocation ----------------------------------------------------------------------

    async def _assign_ip(self, spec: dict[str, Any], owner: bytes, dry_run: bool) -> None:
        wanted = spec.get("clusterIP") or ""
        if wanted == "None":
            spec["clusterIPs"] = ["None"]
            return
        if wanted:
            try:
                addr = ipaddress.ip_address(wanted)
            except ValueError:
                return  # validation reports the malformed address
            if addr not in self.network:
                raise _ip_error(
                    wanted,
                    f"failed to allocate IP {wanted}: the provided IP ({wanted}) "
                    f"is not in the valid range. The range of valid IPs is {self.network}",
                )
            if not dry_run and not await self._reserve(IP_PREFIX + wanted, owner):
                raise _ip_error(wanted, f"failed to allocate IP {wanted}: provided IP is already allocated")
            spec["clusterIPs"] = [wanted]
            return
        size = self.network.num_addresses
        base = self.network.network_address
        # Random probing from the upper range first, as Kubernetes keeps the low part of the
        # range for static assignments.
        for _ in range(64):
            offset = random.randint(2, size - 2)
            ip = str(base + offset)
            if dry_run or await self._reserve(IP_PREFIX + ip, owner):
                spec["clusterIP"] = ip
                spec["clusterIPs"] = [ip]
                return
        raise errors.InternalError("failed to allocate a serviceIP: range is full")

    async def reserve_ip(self, ip: str, owner: dict[str, Any]) -> bool:
        return await self._reserve(IP_PREFIX + ip, _owner(owner))

    async def _assign_node_ports(
        self, spec: dict[str, Any], owner: bytes, dry_run: bool, previous: set[int]
    ) -> None:
        if spec.get("type") not in _NODEPORT_TYPES:
            for p in spec.get("ports") or []:
                p.pop("nodePort", None)
            return
        lo, hi = self.ports
        for i, p in enumerate(spec.get("ports") or []):
            port = p.get("nodePort")
            if port:
                if port in previous or dry_run:
                    continue
                if not (lo <= port <= hi):
                    raise errors.invalid_object(
                        "Service",
                        "",
                        "",
                        [
                            errors.invalid(
                                f"spec.ports[{i}].nodePort",
                                port,
                                "provided port is not in the valid range. "
                                f"The range of valid ports is {lo}-{hi}",
                            )
                        ],
                    )
                if not await self._reserve(PORT_PREFIX + str(port), owner):
                    raise errors.invalid_object(
                        "Service",
                        "",
                        "",
                        [
                            errors.invalid(
                                f"spec.ports[{i}].nodePort", port, "provided port is already allocated"
                            )
                        ],
                    )
                continue
            for _ in range(64):
                candidate = random.randint(lo, hi)
                if dry_run or await self._reserve(PORT_PREFIX + str(candidate), owner):
                    p["nodePort"] = candidate
                    break
            else:
                raise errors.InternalError("failed to allocate a nodePort: range is full")

    async def _reserve(self, key: str, owner: bytes) -> bool:
        try:
            await self.store.create(key, owner)
            return True
        except KeyExistsError:
            return False

    async def _release(self, key: str) -> None:
        try:
            await self.store.delete(key)
        except KeyNotFoundError:
            pass

    async def release_all(self, obj: dict[str, Any]) -> None:
        spec = obj.get("spec") or {}
        for ip in spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else []):
            if ip and ip != "None":
                await self._release(IP_PREFIX + ip)
        for p in spec.get("ports") or []:
            if p.get("nodePort"):
                await self._release(PORT_PREFIX + str(p["nodePort"]))


def _owner(obj: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {"namespace": meta.namespace_of(obj), "name": meta.name_of(obj), "uid": meta.uid_of(obj)}
    )


def _ip_error(ip: str, detail: str) -> errors.Invalid:
    return errors.invalid_object("Service", "", "", [errors.invalid("spec.clusterIPs", [ip], detail)])
