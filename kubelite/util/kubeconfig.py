"""Writing kubeconfig files that the real kubectl and the Python clients read as they are."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(
    path: Path,
    *,
    server: str,
    ca_cert: Path,
    client_cert: Path | None = None,
    client_key: Path | None = None,
    token: str | None = None,
    cluster: str = "kubelite",
    user: str = "kubelite-admin",
    namespace: str | None = None,
) -> Path:
    """A kubeconfig with embedded data, so the file works wherever it is copied."""
    user_entry: dict[str, str] = {}
    if client_cert and client_key:
        user_entry["client-certificate-data"] = _b64(client_cert)
        user_entry["client-key-data"] = _b64(client_key)
    if token:
        user_entry["token"] = token
    context: dict[str, str] = {"cluster": cluster, "user": user}
    if namespace:
        context["namespace"] = namespace
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cluster, "cluster": {"server": server, "certificate-authority-data": _b64(ca_cert)}}
        ],
        "users": [{"name": user, "user": user_entry}],
        "contexts": [{"name": cluster, "context": context}],
        "current-context": cluster,
        "preferences": {},
    }
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    os.replace(tmp, path)
    return path
