"""A client for the OCI distribution API (what Docker Hub and every OCI registry serve).

Pulling is: GET /v2/<repo>/manifests/<tag|digest> with the media types we accept; if
the answer is an index (manifest list), pick the entry for this host's platform and GET
that; then GET /v2/<repo>/blobs/<digest> for the config and each layer. A 401 carries
`WWW-Authenticate: Bearer realm=...,service=...,scope=...`: we fetch a token from the
realm (with basic credentials when given) and retry with `Authorization: Bearer`.
Registries on loopback addresses are spoken to in plain HTTP, others in HTTPS unless
listed as insecure. Every blob is checked against its digest before it is stored.

Mirrors (`--registry-mirror docker.io=http://10.0.0.5:5000`, as containerd's hosts.toml and
k3s's registries.yaml offer) are tried in order before the registry itself: the first
endpoint that serves the manifest serves the whole image. Images keep their own names
(`docker.io/library/busybox:latest`), wherever they came from, so pod specs need no change
on an offline host.
"""

from __future__ import annotations

import base64
import json
import logging
import platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from kubelite.image.reference import Reference, is_loopback
from kubelite.image.store import ContentStore

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)

log = logging.getLogger("kubelite.image.registry")

_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}


def host_platform() -> tuple[str, str]:
    machine = platform.machine()
    return "linux", _GOARCH.get(machine, machine)


class RegistryError(Exception):
    pass


@dataclass(slots=True)
class Credentials:
    username: str = ""
    password: str = ""
    token: str = ""  # an identity/registry token used as the bearer as-is


def pick_platform(index: dict[str, Any], os_name: str, arch: str) -> dict[str, Any]:
    """The index entry for os/arch (variant ignored unless several match)."""
    for entry in index.get("manifests", []):
        p = entry.get("platform", {})
        if p.get("os") == os_name and p.get("architecture") == arch:
            found: dict[str, Any] = entry
            return found
    raise RegistryError(f"no manifest for {os_name}/{arch} in the image index")


def _parse_challenge(header: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def parse_mirror(text: str) -> tuple[str, str]:
    """`REGISTRY=ENDPOINT` (e.g. `docker.io=http://127.0.0.1:5000`) as (registry, endpoint URL).
    An endpoint without a scheme is HTTPS, or HTTP on a loopback address."""
    registry, eq, endpoint = text.partition("=")
    if not eq or not registry or not endpoint:
        raise ValueError(f"a registry mirror is REGISTRY=ENDPOINT, not {text!r}")
    if "://" not in endpoint:
        endpoint = f"{'http' if is_loopback(endpoint) else 'https'}://{endpoint}"
    if not endpoint.startswith(("http://", "https://")):
        raise ValueError(f"a registry mirror's endpoint is http:// or https://, not {endpoint!r}")
    return registry, endpoint.rstrip("/")


class RegistryClient:
    def __init__(
        self,
        *,
        insecure: frozenset[str] = frozenset(),
        mirrors: Mapping[str, Sequence[str]] | None = None,
        credentials: Credentials | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._insecure = insecure
        self._mirrors = mirrors or {}
        self._creds = credentials or Credentials()
        self._session = session
        self._tokens: dict[str, str] = {}  # base URL of a repository -> bearer token

    def endpoints(self, ref: Reference) -> list[str]:
        """The base URLs of `ref`'s repository to try, in order: mirrors, then the registry."""
        registry = "registry-1.docker.io" if ref.registry == "docker.io" else ref.registry
        scheme = "http" if is_loopback(ref.registry) or ref.registry in self._insecure else "https"
        own = f"{scheme}://{registry}"
        return [f"{e}/v2/{ref.repository}" for e in (*self._mirrors.get(ref.registry, ()), own)]

    async def _get(
        self, session: aiohttp.ClientSession, ref: Reference, url: str, headers: dict[str, str]
    ) -> aiohttp.ClientResponse:
        base = url.split("/manifests/")[0].split("/blobs/")[0]
        for _ in range(2):
            h = dict(headers)
            if token := self._tokens.get(base):
                h["Authorization"] = f"Bearer {token}"
            resp = await session.get(url, headers=h)
            if resp.status != 401:
                return resp
            challenge = resp.headers.get("WWW-Authenticate", "")
            resp.release()
            await self._authenticate(session, ref, base, challenge)
        raise RegistryError(f"{url}: unauthorized")

    async def _authenticate(
        self, session: aiohttp.ClientSession, ref: Reference, base: str, challenge: str
    ) -> None:
        if self._creds.token:
            self._tokens[base] = self._creds.token
            return
        if not challenge.lower().startswith("bearer"):
            raise RegistryError(f"registry {ref.registry} asks for unsupported auth: {challenge!r}")
        params = _parse_challenge(challenge)
        realm = params.pop("realm", "")
        if not realm:
            raise RegistryError("bearer challenge without a realm")
        params.setdefault("scope", f"repository:{ref.repository}:pull")
        headers = {}
        if self._creds.username:
            raw = f"{self._creds.username}:{self._creds.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        async with session.get(realm, params=params, headers=headers) as resp:
            if resp.status != 200:
                raise RegistryError(f"token request to {realm} failed: HTTP {resp.status}")
            body = await resp.json(content_type=None)
        self._tokens[base] = body.get("token") or body.get("access_token", "")

    async def fetch_manifest(
        self, session: aiohttp.ClientSession, ref: Reference, base: str, reference: str, store: ContentStore
    ) -> tuple[str, dict[str, Any]]:
        resp = await self._get(session, ref, f"{base}/manifests/{reference}", {"Accept": ACCEPT})
        async with resp:
            if resp.status != 200:
                raise RegistryError(f"manifest {ref.repository}:{reference}: HTTP {resp.status}")
            data = await resp.read()
        expected = reference if reference.startswith("sha256:") else None
        digest = store.put(data, expected)
        return digest, json.loads(data)

    async def fetch_blob(
        self, session: aiohttp.ClientSession, ref: Reference, base: str, digest: str, store: ContentStore
    ) -> None:
        if store.has(digest):
            return
        resp = await self._get(session, ref, f"{base}/blobs/{digest}", {})
        async with resp:
            if resp.status != 200:
                raise RegistryError(f"blob {digest}: HTTP {resp.status}")
            writer = store.writer()
            try:
                async for chunk in resp.content.iter_chunked(1 << 20):
                    writer.write(chunk)
                writer.commit(digest)
            except BaseException:
                writer.abort()
                raise

    async def pull(self, ref: Reference, store: ContentStore) -> tuple[str, dict[str, Any]]:
        """Fetch manifest, config and layers into `store`; return (manifest digest, manifest)."""
        session = self._session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        try:
            *mirrors, own = self.endpoints(ref)
            for base in mirrors:
                try:
                    return await self._pull_from(session, ref, base, store)
                except (aiohttp.ClientError, RegistryError) as err:
                    log.info("mirror %s did not serve %s (%s); trying the next endpoint", base, ref, err)
            return await self._pull_from(session, ref, own, store)
        except aiohttp.ClientError as err:
            raise RegistryError(f"pulling {ref}: {err}") from err
        finally:
            if self._session is None:
                await session.close()

    async def _pull_from(
        self, session: aiohttp.ClientSession, ref: Reference, base: str, store: ContentStore
    ) -> tuple[str, dict[str, Any]]:
        digest, manifest = await self.fetch_manifest(session, ref, base, ref.reference, store)
        if manifest.get("mediaType") in INDEX_TYPES or "manifests" in manifest:
            entry = pick_platform(manifest, *host_platform())
            digest, manifest = await self.fetch_manifest(session, ref, base, entry["digest"], store)
        await self.fetch_blob(session, ref, base, manifest["config"]["digest"], store)
        for layer in manifest["layers"]:
            await self.fetch_blob(session, ref, base, layer["digest"], store)
        return digest, manifest
