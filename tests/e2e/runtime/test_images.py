"""Images through the CRI: pull from a local registry (also behind bearer-token auth), list,
inspect, remove, fs usage; images imported from docker and OCI archives."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import CRIError
from kubelite.cri.testing import container_config, run_container, sandbox_config, wait_exited
from kubelite.image.testing import LocalRegistry, TokenIssuer
from kubelite.util.net import free_port


async def test_version_and_status_report_a_ready_runtime(cri, cri_runtime):
    v = await cri.version()
    assert v.runtime_name == cri_runtime.name and v.runtime_api_version == "v1"
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
    for _ in range(100):  # containerd measures its snapshots every 10 s
        fs = await cri.image_fs_info()
        if fs.image_filesystems[0].used_bytes.value > 0:
            break
        await asyncio.sleep(0.2)
    assert fs.image_filesystems[0].used_bytes.value > 0
    await cri.remove_image(pb.ImageSpec(image=ref))
    assert not (await cri.image_status(pb.ImageSpec(image=ref))).HasField("image")
    await cri.remove_image(pb.ImageSpec(image=ref))  # idempotent


async def _run(*argv: str) -> None:
    proc = await asyncio.create_subprocess_exec(*argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()


async def test_pull_through_registry_bearer_token_auth(cri, busybox_layout, tmp_path):
    """Docker's registry with `auth: token`, trusting a small token issuer of ours."""
    issuer = TokenIssuer(username="alice", password="s3cret")
    await issuer.start()
    (tmp_path / "issuer.pem").write_bytes(issuer.cert_pem)
    registry = LocalRegistry(
        tmp_path / "registry", auth=issuer.registry_auth_config(str(tmp_path / "issuer.pem"))
    )
    try:
        await asyncio.to_thread(registry.start)
        # skopeo asks the issuer for a token: the push runs off the loop that serves it.
        ref = await asyncio.to_thread(
            registry.push, busybox_layout, "private/busybox", tag="v1", creds="alice:s3cret"
        )
        for auth in (None, pb.AuthConfig(username="alice", password="wrong")):
            with pytest.raises(CRIError):
                await cri.pull_image(pb.ImageSpec(image=ref), auth=auth)
        issued = issuer.issued
        image_id = await cri.pull_image(
            pb.ImageSpec(image=ref), pb.AuthConfig(username="alice", password="s3cret")
        )
        assert issuer.issued > issued
        assert (await cri.image_status(pb.ImageSpec(image=ref))).image.id == image_id
    finally:
        registry.stop()
        await issuer.stop()


async def test_imported_docker_and_oci_archives_run_containers(
    cri, runtime_process, busybox_layout, tmp_path
):
    docker_tar, oci_tar = tmp_path / "docker.tar", tmp_path / "oci.tar"
    await _run(
        "skopeo",
        "copy",
        f"oci:{busybox_layout}:latest",
        f"docker-archive:{docker_tar}:example.com/tools/bb:v1",
    )
    await _run("skopeo", "copy", f"oci:{busybox_layout}:latest", f"oci-archive:{oci_tar}:v2")
    state = str(runtime_process.root / "state")
    kubelite = (sys.executable, "-m", "kubelite", "image", "import", "--root", state)
    await _run(*kubelite, str(docker_tar))
    await _run(*kubelite, str(oci_tar), "--tag", "example.com/tools/bb:v2")

    cfg = sandbox_config("imported")
    sid = await cri.run_pod_sandbox(cfg)
    for tag in ("v1", "v2"):
        ref = f"example.com/tools/bb:{tag}"
        assert (await cri.image_status(pb.ImageSpec(image=ref))).HasField("image")
        cid = await run_container(
            cri, sid, cfg, container_config(f"c-{tag}", ref, f"echo from-{tag}; exit 4")
        )
        assert (await wait_exited(cri, cid)).exit_code == 4
    await cri.remove_pod_sandbox(sid)


async def test_images_of_a_mirrored_registry_come_from_its_first_mirror_that_answers(registry, tmp_path):
    """`--registry-mirror docker.io=...`: an offline host pulls `busybox` (docker.io/library/busybox)
    from a local registry, past a mirror that is down; the image keeps its docker.io name."""
    from kubelite.image.manager import ImageManager

    down = f"http://127.0.0.1:{free_port()}"
    images = ImageManager(tmp_path / "images", registry_mirrors={"docker.io": (down, f"http://{registry}")})
    image_id = await images.pull_image(pb.ImageSpec(image="busybox"))
    status = await images.image_status(pb.ImageSpec(image="docker.io/library/busybox:latest"))
    assert status.image.id == image_id
    assert status.image.repo_tags == ["docker.io/library/busybox:latest"]
    assert status.image.repo_digests[0].startswith("docker.io/library/busybox@sha256:")
    assert (await images.image_status(pb.ImageSpec(image="busybox"))).image.id == image_id
