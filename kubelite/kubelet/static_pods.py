"""Static pods: manifests in a folder that run without the API server, with mirror pods.

Every `file_check_frequency` seconds the folder is read (`*.yaml`, `*.yml`, `*.json`; one
Pod each). A static pod is named `<name>-<node>`, bound to this node, and gets a uid
derived from its content and the node, so an edited file is a new pod: the old one is
stopped and the new one started. A removed file stops its pod. A file that is not one valid
Pod (bad YAML, wrong types, failing the API server's Pod validation after its defaults, a
name another file already uses) is logged once and skipped, as if it were absent; the
other manifests run on.

The pod runs from the file alone; so that the cluster can see it, the kubelet keeps a
*mirror pod* in the API: the same pod with the annotation `kubernetes.io/config.mirror`
(the content hash) and the Node as its owner. Its status is the static pod's. A mirror
that does not match a current manifest (edited, removed, or deleted by a user) is
deleted and created again, as Kubernetes' mirror client does; the pod worker then writes
the status to the new object.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from pathlib import Path
from typing import Any

import yaml

from kubelite.api.defaults import apply_defaults
from kubelite.api.errors import AlreadyExists, APIError, NotFound
from kubelite.api.pods import CONFIG_HASH, CONFIG_MIRROR, CONFIG_SEEN, CONFIG_SOURCE
from kubelite.api.resources import ResourceType
from kubelite.api.types import Object
from kubelite.api.validation.pod import validate_pod
from kubelite.kubelet.hashing import content_hash
from kubelite.kubelet.options import KubeletOptions
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.kubelet.static")


class InvalidManifest(ValueError):
    """A manifest file that is not one valid Pod; the kubelet logs it and skips the file."""


_POD = ResourceType("", "v1", "pods", "pod", "Pod", True)


def read_manifests(folder: Path, node: str) -> tuple[dict[str, Object], dict[str, str]]:
    """(uid → static pod for every valid Pod manifest in `folder`, file → why it was skipped)."""
    out: dict[str, Object] = {}
    skipped: dict[str, str] = {}
    names: dict[tuple[str, str], str] = {}
    for f in sorted(folder.glob("*")):
        if f.suffix not in (".yaml", ".yml", ".json") or f.name.startswith("."):
            continue
        try:
            pod = decode_manifest(f.read_text(), node, str(f))
            key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
            if key in names:
                raise InvalidManifest(f"pod {key[0]}/{key[1]} is already defined by {names[key]}")
        except (OSError, yaml.YAMLError, InvalidManifest) as err:
            skipped[str(f)] = str(err)
            continue
        names[key] = str(f)
        out[pod["metadata"]["uid"]] = pod
    return out, skipped


def decode_manifest(text: str, node: str, source: str) -> Object:
    """The static pod of one manifest, defaulted and validated as the API server would a Pod
    (Kubernetes' kubelet does the same), or InvalidManifest saying why not."""
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or doc.get("kind") != "Pod":
        raise InvalidManifest("not a Pod object")
    if not isinstance(doc.get("metadata"), dict) or not isinstance(doc.get("spec"), dict):
        raise InvalidManifest("a Pod needs metadata and spec objects")
    try:
        pod = static_pod(doc, node, source)
        apply_defaults(_POD, pod)
    except (TypeError, AttributeError, KeyError, ValueError) as err:  # fields of the wrong types
        raise InvalidManifest(f"malformed pod: {err}") from None
    errors = validate_pod(pod)
    if errors:
        raise InvalidManifest(
            "invalid pod: " + "; ".join(f"{e.field}: {e.reason} {e.detail}".strip() for e in errors)
        )
    return pod


def static_pod(doc: Object, node: str, source: str) -> Object:
    pod = copy.deepcopy(doc)
    md = pod.setdefault("metadata", {})
    spec = pod.setdefault("spec", {})
    h = content_hash({"pod": doc, "node": node})
    md["name"] = f"{md.get('name', 'static')}-{node}"
    md.setdefault("namespace", "default")
    md["uid"] = h
    md["annotations"] = {
        **(md.get("annotations") or {}),
        CONFIG_SOURCE: "file",
        CONFIG_HASH: h,
        CONFIG_SEEN: source,
    }
    spec["nodeName"] = node
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        if isinstance(c, dict):
            c.setdefault("terminationMessagePath", "/dev/termination-log")
    return pod


def mirror_of(pod: Object, node_uid: str) -> Object:
    m = copy.deepcopy(pod)
    md = m["metadata"]
    md.pop("uid", None)
    md["annotations"] = {**md["annotations"], CONFIG_MIRROR: md["annotations"][CONFIG_HASH]}
    if node_uid:
        md["ownerReferences"] = [
            {
                "apiVersion": "v1",
                "kind": "Node",
                "name": pod["spec"]["nodeName"],
                "uid": node_uid,
                "controller": True,
            }
        ]
    m["apiVersion"], m["kind"] = "v1", "Pod"
    m.pop("status", None)
    return m


class StaticPods:
    def __init__(
        self, client: Any, options: KubeletOptions, node: str, agent: Any, workers: Any, clock: Clock
    ) -> None:
        assert options.pod_manifest_path is not None
        self.folder = options.pod_manifest_path
        self.period = options.file_check_frequency
        self.pods_api = client.resource("pods")
        self.node = node
        self.agent = agent
        self.workers = workers
        self.clock = clock
        self.current: dict[str, Object] = {}
        self.checks = 0  # folder reads so far, for tests and debugging
        self._skipped: dict[str, str] = {}

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception as err:
                log.warning("static pod check failed: %s", err)
            await self.clock.sleep(self.period)

    async def check(self) -> None:
        self.checks += 1
        found, skipped = read_manifests(self.folder, self.node) if self.folder.is_dir() else ({}, {})
        for f, why in skipped.items():
            if self._skipped.get(f) != why:  # once per file and reason, not every check
                log.warning("skipping static pod manifest: %s", why, extra={"file": f})
        self._skipped = skipped
        for uid, pod in self.current.items():
            if uid not in found:
                self.workers.deleted(pod)  # the file changed or went away: stop that pod
        for pod in found.values():
            self.workers.update(pod)
        self.current = found
        await self.sync_mirrors()

    async def sync_mirrors(self) -> None:
        wanted = {p["metadata"]["name"]: p for p in self.current.values()}
        listed = await self.pods_api.list(field_selector=f"spec.nodeName={self.node}")
        mirrors = {
            (p["metadata"]["namespace"], p["metadata"]["name"]): p
            for p in listed["items"]
            if CONFIG_MIRROR in (p["metadata"].get("annotations") or {})
        }
        for (ns, name), m in mirrors.items():
            want = wanted.get(name)
            if (
                want is None
                or want["metadata"]["namespace"] != ns
                or m["metadata"]["annotations"][CONFIG_MIRROR] != want["metadata"]["uid"]
                or m["metadata"].get("deletionTimestamp")
            ):
                await self._delete(m)
                mirrors[(ns, name)] = {}
        for name, pod in wanted.items():
            key = (pod["metadata"]["namespace"], name)
            if not mirrors.get(key):
                try:
                    await self.pods_api.create(
                        mirror_of(pod, self.agent.uid), namespace=pod["metadata"]["namespace"]
                    )
                    # A new API object: it shows the pod's status only once that is written again.
                    self.workers.resend_status(pod["metadata"]["uid"])
                except AlreadyExists:
                    pass
                except APIError as err:
                    log.warning("cannot create mirror pod: %s", err, extra={"pod": name})

    async def _delete(self, m: Object) -> None:
        try:
            await self.pods_api.delete(
                m["metadata"]["name"],
                namespace=m["metadata"]["namespace"],
                grace_period_seconds=0,
                preconditions={"uid": m["metadata"]["uid"]},
            )
        except (NotFound, APIError):
            pass
        await asyncio.sleep(0)
