"""The runtime's ImageService: pull, list, inspect and remove images; image fs usage.

Implements `kubelite.cri.protocols.ImageManagerService`. A pull (or an import) ends in
`install()`: the manifest's layers are unpacked in order into the image's snapshot, then
the record is written, so an image is listed only once it can run. Pulls of one
reference are serialised; different images pull concurrently.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import InvalidArgument, NotFound, Unavailable
from kubelite.image import reference
from kubelite.image.registry import Credentials, RegistryClient, RegistryError
from kubelite.image.store import ImageRecord, ImageStore
from kubelite.image.unpack import apply_layer


def _credentials(auth: pb.AuthConfig | None) -> Credentials:
    if auth is None:
        return Credentials()
    import base64

    user, password = auth.username, auth.password
    if auth.auth and not user:
        user, _, password = base64.b64decode(auth.auth).decode().partition(":")
    return Credentials(username=user, password=password, token=auth.registry_token or auth.identity_token)


def install(
    store: ImageStore, manifest_digest: str, manifest: dict[str, Any], tag: str = "", repo_digest: str = ""
) -> ImageRecord:
    """Unpack the manifest's layers (already in the content store) and record the image."""
    config_digest = manifest["config"]["digest"]
    existing = store.find(config_digest)
    if existing is None:
        config = json.loads(store.content.read(config_digest))
        layers = [layer["digest"] for layer in manifest["layers"]]
        rootfs = store.rootfs(config_digest)
        tmp = rootfs.parent.with_name(rootfs.parent.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "rootfs").mkdir(parents=True)
        size = sum(apply_layer(tmp / "rootfs", store.content.path(d)) for d in layers)
        shutil.rmtree(rootfs.parent, ignore_errors=True)
        os.replace(tmp, rootfs.parent)
        existing = ImageRecord(
            id=config_digest,
            manifest_digest=manifest_digest,
            layers=layers,
            size=size,
            config=config.get("config") or {},
        )
    store.add_name(existing, tag, repo_digest)
    return existing


def to_cri(rec: ImageRecord) -> pb.Image:
    img = pb.Image(
        id=rec.id,
        repo_tags=rec.repo_tags,
        repo_digests=rec.repo_digests,
        size=rec.size,
        spec=pb.ImageSpec(image=rec.id),
    )
    user = str(rec.config.get("User", "")).split(":")[0]
    if user.isdigit():
        img.uid.value = int(user)
    elif user:
        img.username = user
    return img


class ImageManager:
    def __init__(
        self,
        root: Path,
        *,
        insecure_registries: frozenset[str] = frozenset(),
        registry_mirrors: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.store = ImageStore(root)
        self._insecure = insecure_registries
        self._mirrors = registry_mirrors or {}
        self._locks: dict[str, asyncio.Lock] = {}

    def resolve(self, image: str) -> ImageRecord | None:
        """The record an ImageSpec's `image` names: id, digest, or a (normalised) tag."""
        rec = self.store.find(image)
        if rec is None:
            try:
                rec = self.store.find(str(reference.parse(image)))
            except ValueError:
                return None
        return rec

    async def list_images(self, filter: pb.ImageFilter | None = None) -> list[pb.Image]:
        if filter is not None and filter.image.image:
            rec = self.resolve(filter.image.image)
            return [to_cri(rec)] if rec else []
        return [to_cri(r) for r in self.store.all()]

    async def image_status(self, image: pb.ImageSpec, verbose: bool = False) -> pb.ImageStatusResponse:
        rec = self.resolve(image.image)
        if rec is None:
            return pb.ImageStatusResponse()
        info = {"info": json.dumps({"config": rec.config})} if verbose else {}
        return pb.ImageStatusResponse(image=to_cri(rec), info=info)

    async def pull_image(
        self,
        image: pb.ImageSpec,
        auth: pb.AuthConfig | None = None,
        sandbox_config: pb.PodSandboxConfig | None = None,
    ) -> str:
        try:
            ref = reference.parse(image.image)
        except ValueError as err:
            raise InvalidArgument(str(err)) from None
        lock = self._locks.setdefault(str(ref), asyncio.Lock())
        async with lock:
            client = RegistryClient(
                insecure=self._insecure, mirrors=self._mirrors, credentials=_credentials(auth)
            )
            try:
                digest, manifest = await client.pull(ref, self.store.content)
            except RegistryError as err:
                raise Unavailable(str(err)) from None
            tag = str(ref) if not ref.digest else ""
            rec = await asyncio.to_thread(install, self.store, digest, manifest, tag, f"{ref.name}@{digest}")
        return rec.id

    async def remove_image(self, image: pb.ImageSpec) -> None:
        rec = self.resolve(image.image)
        if rec is not None:
            await asyncio.to_thread(self.store.delete, rec)

    async def image_fs_info(self) -> pb.ImageFsInfoResponse:
        used, inodes = await asyncio.to_thread(_usage, self.store.root)
        usage = pb.FilesystemUsage(
            timestamp=time.time_ns(), fs_id=pb.FilesystemIdentifier(mountpoint=str(self.store.root))
        )
        usage.used_bytes.value = used
        usage.inodes_used.value = inodes
        return pb.ImageFsInfoResponse(image_filesystems=[usage])

    def require(self, image: str) -> ImageRecord:
        rec = self.resolve(image)
        if rec is None:
            raise NotFound(f"image {image!r} not present; pull it first")
        return rec


def _usage(root: Path) -> tuple[int, int]:
    used = inodes = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            inodes += 1
            try:
                used += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                pass
    return used, inodes
