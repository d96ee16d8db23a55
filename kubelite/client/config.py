"""Where a client connects and who it is: kubeconfig files and in-cluster config.

A `ClientConfig` is the resolved answer (server URL, CA bundle, client certificate,
bearer token, default namespace, rate limits); `load_kubeconfig` reads it from kubeconfig
files (`$KUBECONFIG`, a `:`-separated list merged first-wins as kubectl does, or
`~/.kube/config`), `in_cluster_config` from a pod's service-account mount, and
`load_config` tries in-cluster first and falls back to kubeconfig, like client-go's
`BuildConfigFromFlags`.

Certificate and key *data* stay in memory; only `ssl_context()` touches them, and Python's
`ssl` module needs files for a client certificate, so it writes them to a private temporary
directory for the moment of loading.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""


@dataclass(slots=True)
class ClientConfig:
    server: str
    ca_data: bytes | None = None
    client_cert_data: bytes | None = None
    client_key_data: bytes | None = None
    token: str | None = None
    # Read again on every request when set: projected service-account tokens rotate.
    token_file: Path | None = None
    insecure_skip_tls_verify: bool = False
    namespace: str = "default"
    # Client-side rate limit, as client-go's rest.Config QPS/Burst (defaults 5 and 10).
    qps: float = 5.0
    burst: int = 10
    user_agent: str = "kubelite-client"
    timeout: float = 30.0
    # Keep-alive connections for requests (watches get their own, one each). A bounded pool
    # makes a burst of requests wait for a free connection rather than open hundreds more,
    # whose TLS handshakes cost the API server more than the requests themselves.
    max_connections: int = 64
    extra_headers: dict[str, str] = field(default_factory=dict)

    def with_rate_limits(self, qps: float, burst: int) -> ClientConfig:
        return replace(self, qps=qps, burst=burst)

    def bearer_token(self) -> str | None:
        if self.token_file is not None:
            try:
                return self.token_file.read_text().strip()
            except OSError:
                return self.token
        return self.token

    def ssl_context(self) -> ssl.SSLContext | bool:
        """The TLS settings for aiohttp; `False` for plain http."""
        if self.server.startswith("http://"):
            return False
        ctx = ssl.create_default_context()
        if self.insecure_skip_tls_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif self.ca_data:
            ctx = ssl.create_default_context(cadata=self.ca_data.decode())
        if self.client_cert_data and self.client_key_data:
            with tempfile.TemporaryDirectory(prefix="kubelite-tls-") as tmp:
                cert, key = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
                for path, data in ((cert, self.client_cert_data), (key, self.client_key_data)):
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as f:
                        f.write(data)
                ctx.load_cert_chain(cert, key)
        return ctx


# ---- kubeconfig -----------------------------------------------------------------------------


def kubeconfig_paths(explicit: str | os.PathLike[str] | None = None) -> list[Path]:
    if explicit:
        return [Path(explicit)]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


def _merge(docs: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """Merge kubeconfig files as kubectl does: the first file to define a name wins."""
    merged: dict[str, Any] = {"clusters": {}, "users": {}, "contexts": {}, "current-context": ""}
    for base, doc in docs:
        for section, inner in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
            for entry in doc.get(section) or []:
                value = dict(entry.get(inner) or {})
                value["__dir__"] = base
                merged[section].setdefault(entry["name"], value)
        merged["current-context"] = merged["current-context"] or doc.get("current-context", "")
    return merged


def _data(entry: dict[str, Any], data_key: str, file_key: str) -> bytes | None:
    if entry.get(data_key):
        return base64.b64decode(entry[data_key])
    if entry.get(file_key):
        path = Path(entry[file_key])
        if not path.is_absolute():
            path = entry["__dir__"] / path
        return path.read_bytes()
    return None


def load_kubeconfig(
    path: str | os.PathLike[str] | None = None, *, context: str | None = None
) -> ClientConfig:
    """Resolve one context of the kubeconfig files into a `ClientConfig`."""
    docs = []
    for p in kubeconfig_paths(path):
        if p.exists():
            docs.append((p.parent, yaml.safe_load(p.read_text()) or {}))
    if not docs:
        raise ConfigError(
            f"no kubeconfig found at {', '.join(map(str, kubeconfig_paths(path)))}; "
            "set KUBECONFIG or pass a path"
        )
    merged = _merge(docs)
    name = context or merged["current-context"]
    ctx = merged["contexts"].get(name)
    if ctx is None:
        raise ConfigError(f'context "{name}" does not exist in the kubeconfig')
    cluster = merged["clusters"].get(ctx.get("cluster", ""))
    if cluster is None or not cluster.get("server"):
        raise ConfigError(f'context "{name}" names cluster "{ctx.get("cluster")}", which has no server')
    user = merged["users"].get(ctx.get("user", ""), {"__dir__": Path(".")})
    token = user.get("token")
    token_file = None
    if not token and user.get("tokenFile"):
        token_file = Path(user["tokenFile"])
        if not token_file.is_absolute():
            token_file = user["__dir__"] / token_file
    return ClientConfig(
        server=cluster["server"].rstrip("/"),
        ca_data=_data(cluster, "certificate-authority-data", "certificate-authority"),
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify")),
        client_cert_data=_data(user, "client-certificate-data", "client-certificate"),
        client_key_data=_data(user, "client-key-data", "client-key"),
        token=token,
        token_file=token_file,
        namespace=ctx.get("namespace") or "default",
    )


# ---- in-cluster -----------------------------------------------------------------------------


def in_cluster_config(sa_dir: Path = SERVICE_ACCOUNT_DIR, env: dict[str, str] | None = None) -> ClientConfig:
    """The config a pod gets: the `kubernetes` Service address and its service-account mount."""
    env = dict(os.environ) if env is None else env
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise ConfigError(
            "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set"
        )
    token_file = sa_dir / "token"
    if not token_file.exists():
        raise ConfigError(f"no service-account token at {token_file}")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    ns_file = sa_dir / "namespace"
    ca_file = sa_dir / "ca.crt"
    return ClientConfig(
        server=f"https://{host}:{port}",
        ca_data=ca_file.read_bytes() if ca_file.exists() else None,
        token=token_file.read_text().strip(),
        token_file=token_file,
        namespace=ns_file.read_text().strip() if ns_file.exists() else "default",
    )


def load_config(
    kubeconfig: str | os.PathLike[str] | None = None, *, context: str | None = None
) -> ClientConfig:
    """An explicit kubeconfig if given; else in-cluster when in a pod; else the kubeconfig."""
    if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        try:
            return in_cluster_config()
        except ConfigError:
            pass
    return load_kubeconfig(kubeconfig, context=context)
