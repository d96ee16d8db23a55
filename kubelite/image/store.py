"""The content store (blobs by digest) and the image store (records + snapshots).

```
ROOT/blobs/sha256/<hex>              manifests, configs, layers: content-addressed, shared
ROOT/images/<id hex>.json            ImageRecord: names, repo digests, config, layers, size
ROOT/snapshots/<id hex>/rootfs       the image's layers applied in order (read-only by use)
```

An image's id is its config's digest, as Kubernetes shows it. Writes go to a temporary
name and are renamed into place, so a crash never leaves a half blob under its digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


class DigestMismatch(ValueError):
    pass


class ContentStore:
    def __init__(self, root: Path) -> None:
        self.root = root / "blobs" / "sha256"
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        algo, _, hexpart = digest.partition(":")
        if algo != "sha256" or len(hexpart) != 64 or not all(c in "0123456789abcdef" for c in hexpart):
            raise ValueError(f"unsupported digest {digest!r}")
        return self.root / hexpart

    def has(self, digest: str) -> bool:
        return self.path(digest).exists()

    def read(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def put(self, data: bytes, digest: str | None = None) -> str:
        w = self.writer()
        w.write(data)
        return w.commit(digest)

    def remove(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)


class BlobWriter:
    """Streams a blob to a temporary file, hashing as it goes; commit() verifies and renames."""

    def __init__(self, store: ContentStore) -> None:
        self._store = store
        fd, name = tempfile.mkstemp(dir=store.root, prefix=".tmp-")
        self._file = os.fdopen(fd, "wb")
        self._tmp = Path(name)
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    def commit(self, expected: str | None = None) -> str:
        self._file.close()
        digest = f"sha256:{self._hash.hexdigest()}"
        if expected and expected != digest:
            self._tmp.unlink(missing_ok=True)
            raise DigestMismatch(f"content has digest {digest}, expected {expected}")
        os.replace(self._tmp, self._store.path(digest))
        return digest

    def abort(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)


@dataclass(slots=True)
class ImageRecord:
    id: str  # sha256:<config digest hex>
    repo_tags: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)
    manifest_digest: str = ""
    layers: list[str] = field(default_factory=list)
    size: int = 0
    config: dict[str, Any] = field(default_factory=dict)  # the image config's "config" object

    @property
    def hex(self) -> str:
        return self.id.split(":", 1)[1]


class ImageStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.images_dir = root / "images"
        self.snapshots_dir = root / "snapshots"
        self.images_dir.mkdir(parents=True, exist_ok=True)
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        self.content = ContentStore(root)

    def rootfs(self, image_id: str) -> Path:
        return self.snapshots_dir / image_id.split(":", 1)[1] / "rootfs"

    def save(self, record: ImageRecord) -> None:
        tmp = self.images_dir / f".{record.hex}.json.tmp"
        tmp.write_text(json.dumps(asdict(record)))
        os.replace(tmp, self.images_dir / f"{record.hex}.json")

    def all(self) -> list[ImageRecord]:
        out = []
        for p in sorted(self.images_dir.glob("*.json")):
            try:
                out.append(ImageRecord(**json.loads(p.read_text())))
            except (OSError, ValueError, TypeError):
                continue
        return out

    def find(self, ref: str) -> ImageRecord | None:
        """By id (full or hex prefix of 12+), tag or repo digest."""
        bare = ref.removeprefix("sha256:")
        for rec in self.all():
            if ref in rec.repo_tags or ref in rec.repo_digests or rec.id == ref:
                return rec
            if len(bare) >= 12 and rec.hex.startswith(bare):
                return rec
        return None

    def add_name(self, record: ImageRecord, tag: str, repo_digest: str = "") -> None:
        """Point `tag` at `record`, taking it away from any other image."""
        for other in self.all():
            if other.id != record.id and tag in other.repo_tags:
                other.repo_tags.remove(tag)
                self.save(other)
        if tag and tag not in record.repo_tags:
            record.repo_tags.append(tag)
        if repo_digest and repo_digest not in record.repo_digests:
            record.repo_digests.append(repo_digest)
        self.save(record)

    def delete(self, record: ImageRecord) -> None:
        """Drop the record and its snapshot, and blobs no other image uses."""
        (self.images_dir / f"{record.hex}.json").unlink(missing_ok=True)
        shutil.rmtree(self.snapshots_dir / record.hex, ignore_errors=True)
        in_use = {d for r in self.all() for d in (*r.layers, r.id, r.manifest_digest)}
        for digest in (*record.layers, record.id, record.manifest_digest):
            if digest and digest not in in_use:
                self.content.remove(digest)
