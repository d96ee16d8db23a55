"""How the API server reaches a node's kubelet: address, port, TLS and the client identity.

A pod's node names the kubelet: the first of the Node's `status.addresses` in the preferred
order (`--kubelet-preferred-address-types`, Kubernetes' default Hostname, InternalDNS,
InternalIP, ExternalDNS, ExternalIP) and the port of `status.daemonEndpoints.kubeletEndpoint`.
The API server speaks HTTPS to it with its own client certificate (`--kubelet-client-
certificate`/`--kubelet-client-key`, in the group system:masters), verifying the kubelet's
serving certificate against `--kubelet-certificate-authority` when given (as Kubernetes,
it does not verify without one). `insecureSkipTLSVerifyBackend` on pods/log skips the check.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from aiohttp import web

from kubelite.api import errors
from kubelite.api.types import Object

DEFAULT_ADDRESS_TYPES = ("Hostname", "InternalDNS", "InternalIP", "ExternalDNS", "ExternalIP")
DEFAULT_PORT = 10250


@dataclass(slots=True)
class KubeletClientOptions:
    client_certificate: Path | None = None
    client_key: Path | None = None
    certificate_authority: Path | None = None
    preferred_address_types: tuple[str, ...] = DEFAULT_ADDRESS_TYPES
    default_port: int = DEFAULT_PORT
    _contexts: dict[bool, ssl.SSLContext] = field(default_factory=dict, repr=False)

    def ssl_context(self, *, skip_verify: bool = False) -> ssl.SSLContext:
        """The client TLS context (made once per kind: verifying or not)."""
        verify = self.certificate_authority is not None and not skip_verify
        ctx = self._contexts.get(verify)
        if ctx is None:
            if verify:
                ctx = ssl.create_default_context(cafile=str(self.certificate_authority))
                ctx.check_hostname = (
                    False  # a node's certificate names its addresses, not always the one dialled
                )
            else:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            if self.client_certificate is not None and self.client_key is not None:
                ctx.load_cert_chain(self.client_certificate, self.client_key)
            ctx.set_alpn_protocols(["http/1.1"])
            self._contexts[verify] = ctx
        return ctx

    def base_url(self, node: Object) -> str:
        """https://<address>:<port> of the node's kubelet."""
        status = node.get("status") or {}
        addresses = status.get("addresses") or []
        host = ""
        for kind in self.preferred_address_types:
            host = next(
                (a.get("address", "") for a in addresses if a.get("type") == kind and a.get("address")), ""
            )
            if host:
                break
        if not host:
            known = " ".join(f"{{{a.get('type', '')} {a.get('address', '')}}}" for a in addresses)
            raise errors.InternalError(
                f"Internal error occurred: no preferred addresses found; known addresses: [{known}]"
            )
        endpoint = (status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}
        port = endpoint.get("Port") or self.default_port
        shown = f"[{host}]" if ":" in host else host
        return f"https://{shown}:{port}"


def kubelet_path(*parts: str) -> str:
    return "/" + "/".join(quote(p, safe="") for p in parts)


def with_query(url: str, params: list[tuple[str, str]]) -> str:
    return f"{url}?{urlencode(params)}" if params else url


KUBELET_CLIENT = web.AppKey("kubelet_client", KubeletClientOptions)


def kubelet_client(request: web.Request) -> KubeletClientOptions:
    return request.app[KUBELET_CLIENT]
