"""Layer unpacking: whiteouts delete, opaque markers empty directories, and no entry escapes
the root (kubelite.image.unpack; no root needed)."""

from __future__ import annotations

import io
import tarfile

import pytest

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
