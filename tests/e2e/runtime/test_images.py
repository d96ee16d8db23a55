"""Images through the CRI: pull from a local registry, list, inspect, remove, fs usage."""

from __future__ import annotations

from kubelite.cri import api_pb2 as pb


async def test_version_and_status_report_a_ready_runtime(cri):
    v = await cri.version()
    assert v.runtime_name == "kubelite" and v.runtime_api_version == "v1"
    conditions = {c.type: c.status for c in (await cri.status()).status.conditions}
    assert conditions == {"RuntimeReady": True, "NetworkReady": True}


async def test_pulled_image_is_listed_inspected_and_removed(cri, registry):
    ref = f"{registry}/busybox:latest"
    image_id = await cri.pull_image(pb.ImageSpec(image=ref))
    assert image_id.startswith("sha256:")
    status = await cri.image_status(pb.ImageSpec(image=ref))
    assert status.image.id == image_id
    assert ref in status.image.repo_tags
    assert status.image.repo_digests[0].startswith(f"{registry}/busybox@sha256:")
    assert [i.id for i in await cri.list_images()] == [image_id]
    fs = await cri.image_fs_info()
    assert fs.image_filesystems[0].used_bytes.value > 0
    await cri.remove_image(pb.ImageSpec(image=ref))
    assert not (await cri.image_status(pb.ImageSpec(image=ref))).HasField("image")
    await cri.remove_image(pb.ImageSpec(image=ref))  # idempotent
