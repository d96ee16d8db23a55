"""Importing images without a registry: OCI layout directories and docker/OCI archives.

- an OCI image layout (a directory, or a tar of one, as `skopeo copy ... oci-archive:`
  writes): `index.json` lists manifests; the tag is the `org.opencontainers.image.ref.name`
  annotation;
- a docker archive (`docker save`): `manifest.json` lists each image's config file,
  layer files and RepoTags.

Blobs are copied into the content store (digests checked), then installed like a pull.
"""

from __future__ import annotations

import json
import tarfile
import tempfile
from pathlib import Path

from kubelite.image import reference
from kubelite.image.manager import install
from kubelite.image.registry import INDEX_TYPES, host_platform, pick_platform
from kubelite.image.store import ImageRecord, ImageStore

REF_NAME = "org.opencontainers.image.ref.name"


def _copy_blob(store: ImageStore, layout: Path, digest: str) -> None:
    if not store.content.has(digest):
        store.content.put((layout / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes(), digest)


def _tag_name(name: str) -> str:
    try:
        return str(reference.parse(name))
    except ValueError:
        return name


def import_oci_layout(store: ImageStore, layout: Path, tag: str = "") -> list[ImageRecord]:
    out = []
    for entry in json.loads((layout / "index.json").read_text()).get("manifests", []):
        _copy_blob(store, layout, entry["digest"])
        manifest = json.loads(store.content.read(entry["digest"]))
        digest = entry["digest"]
        if manifest.get("mediaType") in INDEX_TYPES or "manifests" in manifest:
            digest = pick_platform(manifest, *host_platform())["digest"]
            _copy_blob(store, layout, digest)
            manifest = json.loads(store.content.read(digest))
        for d in (manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])):
            _copy_blob(store, layout, d)
        name = entry.get("annotations", {}).get(REF_NAME, "")
        if name and ":" not in name and "/" not in name and tag:
            name = ""  # a bare tag like "latest" needs the --tag name
        out.append(install(store, digest, manifest, _tag_name(tag or name) if (tag or name) else ""))
    return out


def import_docker_archive(store: ImageStore, root: Path, tag: str = "") -> list[ImageRecord]:
    out = []
    for item in json.loads((root / "manifest.json").read_text()):
        config = store.content.put((root / item["Config"]).read_bytes())
        layers = [store.content.put((root / p).read_bytes()) for p in item["Layers"]]
        manifest_doc = {
            "schemaVersion": 2,
            "config": {"digest": config},
            "layers": [{"digest": d} for d in layers],
        }
        manifest_digest = store.content.put(json.dumps(manifest_doc).encode())
        tags = [tag] if tag else (item.get("RepoTags") or [""])
        for t in tags:
            out.append(install(store, manifest_digest, manifest_doc, _tag_name(t) if t else ""))
    return out


def import_path(store: ImageStore, path: Path, tag: str = "") -> list[ImageRecord]:
    """Import a layout directory or an archive; return the images it held."""
    if path.is_dir():
        if (path / "index.json").exists():
            return import_oci_layout(store, path, tag)
        return import_docker_archive(store, path, tag)
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(path) as tar:
        tar.extractall(tmp, filter="data")
        return import_path(store, Path(tmp), tag)
