"""Image references and layer unpacking with whiteouts (no network, no root needed)."""

from __future__ import annotations

import io
import tarfile

import pytest

from kubelite.image.reference import parse
from kubelite.image.unpack import apply_layer


def _layer(path, entries):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def test_short_names_are_normalised_as_docker_does():
    assert str(parse("busybox")) == "docker.io/library/busybox:latest"
    assert str(parse("127.0.0.1:5000/busybox")) == "127.0.0.1:5000/busybox:latest"
    ref = parse("localhost/a/b@sha256:" + "0" * 64)
    assert (ref.registry, ref.repository, ref.reference) == ("localhost", "a/b", "sha256:" + "0" * 64)


def test_whiteouts_delete_files_and_opaque_markers_empty_directories(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    apply_layer(
        root,
        _layer(
            tmp_path / "1.tgz",
            [("etc", None), ("etc/a", b"a"), ("etc/b", b"b"), ("opt", None), ("opt/old", b"x")],
        ),
    )
    apply_layer(
        root, _layer(tmp_path / "2.tgz", [("etc/.wh.a", b""), ("opt/.wh..wh..opq", b""), ("opt/new", b"y")])
    )
    assert sorted(p.name for p in (root / "etc").iterdir()) == ["b"]
    assert sorted(p.name for p in (root / "opt").iterdir()) == ["new"]


def test_entries_cannot_escape_the_root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(ValueError):
        apply_layer(root, _layer(tmp_path / "bad.tgz", [("../evil", b"x")]))
    assert not (tmp_path / "evil").exists()


def test_registry_mirrors_are_tried_in_order_before_the_registry_itself():
    from kubelite.image.reference import parse
    from kubelite.image.registry import RegistryClient, parse_mirror

    assert parse_mirror("docker.io=http://10.0.0.5:5000/") == ("docker.io", "http://10.0.0.5:5000")
    assert parse_mirror("docker.io=127.0.0.1:5000") == ("docker.io", "http://127.0.0.1:5000")
    assert parse_mirror("quay.io=mirror.example") == ("quay.io", "https://mirror.example")
    for bad in ("docker.io", "=http://x", "docker.io=", "docker.io=ftp://x"):
        with pytest.raises(ValueError, match="REGISTRY=ENDPOINT|http:// or https://"):
            parse_mirror(bad)
    client = RegistryClient(mirrors={"docker.io": ("http://a:5000", "https://b")})
    assert client.endpoints(parse("busybox")) == [
        "http://a:5000/v2/library/busybox",
        "https://b/v2/library/busybox",
        "https://registry-1.docker.io/v2/library/busybox",
    ]
    assert client.endpoints(parse("quay.io/x/y:1")) == ["https://quay.io/v2/x/y"]
