"""ServiceAccount: every pod runs as a service account, and gets its API credentials mounted.

On pod creation (mirror pods of static pods are left alone):

1. a pod naming no `spec.serviceAccountName` runs as `default`;
2. the service account must exist, else `pods "p" is forbidden: error looking up service
   account ns/default: serviceaccount "default" not found` (the service account controller
   creates `default` in every namespace; for `default` the plugin looks ten times, 100-200 ms
   apart, as Kubernetes' does, so a pod sent right after its namespace is not refused);
3. unless the pod (first) or the service account says `automountServiceAccountToken: false`,
   every container and init container without a mount at
   /var/run/secrets/kubernetes.io/serviceaccount gets one (read-only) of a projected volume
   named `kube-api-access-<5 random characters>`, shaped exactly as Kubernetes':

       projected (defaultMode 420):
         serviceAccountToken  path token, expirationSeconds 3607  (the kubelet asks TokenRequest)
         configMap kube-root-ca.crt, key ca.crt -> ca.crt         (the root CA publisher's)
         downwardAPI metadata.namespace -> namespace

4. a pod without imagePullSecrets gets the service account's.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from typing import Any

from kubelite.apiserver.admission.chain import Plugin, forbidden
from kubelite.apiserver.admission.objects import Objects
from kubelite.apiserver.registry import AdmissionAttributes

DEFAULT_SERVICE_ACCOUNT = "default"
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
VOLUME_PREFIX = "kube-api-access-"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
DEFAULT_ACCOUNT_ATTEMPTS = 10
# A bound token the kubelet asks for lives this long (3607 s: one hour and seven seconds,
# the "warn only" expiry Kubernetes picks so that old clients' use of it can be spotted).
TOKEN_EXPIRATION_SECONDS = 3607
# SimpleNameGenerator's alphabet: no vowels, no confusable characters.
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def token_volume(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "path": "namespace",
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                            }
                        ]
                    }
                },
            ],
        },
    }


def _automount(pod_spec: dict[str, Any], sa: dict[str, Any]) -> bool:
    if pod_spec.get("automountServiceAccountToken") is not None:
        return bool(pod_spec["automountServiceAccountToken"])
    if sa.get("automountServiceAccountToken") is not None:
        return bool(sa["automountServiceAccountToken"])
    return True


def mount_token(spec: dict[str, Any]) -> None:
    """Mount the projected token volume into every container that has nothing at the path."""
    volumes = spec.get("volumes") or []
    existing = next((v["name"] for v in volumes if str(v.get("name", "")).startswith(VOLUME_PREFIX)), "")
    name = existing or VOLUME_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(5))
    needed = False
    for field in ("initContainers", "containers"):
        for c in spec.get(field) or []:
            mounts = c.get("volumeMounts") or []
            if any(m.get("mountPath") == MOUNT_PATH for m in mounts):
                continue
            c["volumeMounts"] = [*mounts, {"name": name, "readOnly": True, "mountPath": MOUNT_PATH}]
            needed = True
    if needed and not existing:
        spec["volumes"] = [*volumes, token_volume(name)]


class ServiceAccount(Plugin):
    NAME = "ServiceAccount"

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.accounts = objects.type("", "v1", "serviceaccounts")

    async def _account(self, namespace: str, name: str) -> dict[str, Any] | None:
        attempts = DEFAULT_ACCOUNT_ATTEMPTS if name == DEFAULT_SERVICE_ACCOUNT else 1
        pause = random.uniform(0.1, 0.2)
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(pause)
            sa = await self.objects.get(self.accounts, namespace, name)
            if sa is not None:
                return sa
        return None

    async def admit(self, attrs: AdmissionAttributes) -> None:
        rt = attrs.rt
        if attrs.operation != "CREATE" or attrs.subresource or rt.group != "" or rt.kind != "Pod":
            return
        assert attrs.obj is not None
        if MIRROR_ANNOTATION in ((attrs.obj.get("metadata") or {}).get("annotations") or {}):
            return
        spec = attrs.obj.setdefault("spec", {})
        if not spec.get("serviceAccountName"):
            spec["serviceAccountName"] = DEFAULT_SERVICE_ACCOUNT
        name = spec["serviceAccountName"]
        spec["serviceAccount"] = name  # the deprecated mirror v1 always shows
        sa = await self._account(attrs.namespace, name)
        if sa is None:
            why = f'serviceaccount "{name}" not found'
            raise forbidden(attrs, f"error looking up service account {attrs.namespace}/{name}: {why}")
        if _automount(spec, sa):
            mount_token(spec)
        if not spec.get("imagePullSecrets") and sa.get("imagePullSecrets"):
            spec["imagePullSecrets"] = [dict(s) for s in sa["imagePullSecrets"]]

    async def validate(self, attrs: AdmissionAttributes) -> None:
        rt = attrs.rt
        if attrs.operation != "CREATE" or attrs.subresource or rt.group != "" or rt.kind != "Pod":
            return
        assert attrs.obj is not None
        if MIRROR_ANNOTATION not in ((attrs.obj.get("metadata") or {}).get("annotations") or {}):
            return
        spec = attrs.obj.get("spec") or {}
        if spec.get("serviceAccountName"):
            raise forbidden(attrs, "a mirror pod may not reference service accounts")
        for v in spec.get("volumes") or []:
            if "secret" in v:
                raise forbidden(attrs, "a mirror pod may not reference secrets")
            if "configMap" in v:
                raise forbidden(attrs, "a mirror pod may not reference configmaps")
