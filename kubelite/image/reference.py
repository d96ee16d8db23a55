"""Image references: `[registry/]repository[:tag][@digest]`, normalised as Docker does.

`busybox` means `docker.io/library/busybox:latest`; a first component with a dot, a
colon or equal to `localhost` names a registry.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_REGISTRY = "docker.io"


@dataclass(frozen=True, slots=True)
class Reference:
    registry: str
    repository: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        if self.digest:
            return f"{self.name}@{self.digest}"
        return f"{self.name}:{self.tag or 'latest'}"

    @property
    def reference(self) -> str:
        """What the distribution API's manifests endpoint takes: the digest, else the tag."""
        return self.digest or self.tag or "latest"


def parse(text: str) -> Reference:
    if not text or any(c.isspace() for c in text):
        raise ValueError(f"invalid image reference {text!r}")
    rest, _, digest = text.partition("@")
    registry = DEFAULT_REGISTRY
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    tag = ""
    head, colon, maybe_tag = rest.rpartition(":")
    if colon and "/" not in maybe_tag:
        rest, tag = head, maybe_tag
    if registry == DEFAULT_REGISTRY and "/" not in rest:
        rest = f"library/{rest}"
    if not digest and not tag:
        tag = "latest"
    if digest and not digest.startswith("sha256:"):
        raise ValueError(f"unsupported digest in {text!r}")
    return Reference(registry=registry, repository=rest.lower(), tag=tag, digest=digest)


def is_loopback(registry: str) -> bool:
    host = registry.rsplit(":", 1)[0] if not registry.startswith("[") else registry.split("]")[0][1:]
    return host in ("localhost", "::1") or host.startswith("127.")
