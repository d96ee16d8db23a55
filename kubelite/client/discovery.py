"""Discovery: which resources the server serves, in which version, with which verbs.

`server_resources(client)` reads `/api`, `/apis` and each group's preferred version, as
client-go's ServerPreferredResources does, and returns one `ServerResource` per resource
(subresources such as `pods/status` left out). Custom resources appear here as soon as
the server serves them, which is how the garbage collector finds every kind that can own
or be owned. A group whose version cannot be read is skipped and named in
`DiscoveryResult.failed`, so one broken aggregated API does not blind the caller.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.errors import APIError
from kubelite.client.resource import APIResource


@dataclass(slots=True, frozen=True)
class ServerResource:
    resource: APIResource
    verbs: frozenset[str]

    def supports(self, *verbs: str) -> bool:
        return "*" in self.verbs or all(v in self.verbs for v in verbs)


@dataclass(slots=True)
class DiscoveryResult:
    resources: list[ServerResource] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # group/version -> error message


def _parse(group: str, version: str, body: dict[str, Any]) -> list[ServerResource]:
    out = []
    for r in body.get("resources") or []:
        if "/" in r.get("name", ""):
            continue
        res = APIResource(group, version, r["name"], r["kind"], bool(r.get("namespaced")))
        out.append(ServerResource(res, frozenset(r.get("verbs") or ())))
    return out


async def discover(client: Any) -> DiscoveryResult:
    """Every resource of every group, in the group's preferred version."""
    result = DiscoveryResult()
    core = await client.request("GET", "/api")
    targets = [("", v, f"/api/{v}") for v in (core.get("versions") or [])[:1]]
    groups = await client.request("GET", "/apis")
    for g in groups.get("groups") or []:
        preferred = (g.get("preferredVersion") or {}).get("version") or (g.get("versions") or [{}])[0].get(
            "version"
        )
        if preferred:
            targets.append((g["name"], preferred, f"/apis/{g['name']}/{preferred}"))

    async def one(group: str, version: str, path: str) -> list[ServerResource]:
        try:
            return _parse(group, version, await client.request("GET", path))
        except (TimeoutError, APIError, OSError) as err:
            result.failed[f"{group}/{version}" if group else version] = str(err)
            return []

    for found in await asyncio.gather(*(one(*t) for t in targets)):
        result.resources.extend(found)
    return result
