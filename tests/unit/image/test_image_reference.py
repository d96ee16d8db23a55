"""Image references are normalised as Docker does (kubelite.image.reference)."""

from __future__ import annotations

from kubelite.image.reference import parse


def test_short_names_are_normalised_as_docker_does():
    assert str(parse("busybox")) == "docker.io/library/busybox:latest"
    assert str(parse("127.0.0.1:5000/busybox")) == "127.0.0.1:5000/busybox:latest"
    ref = parse("localhost/a/b@sha256:" + "0" * 64)
    assert (ref.registry, ref.repository, ref.reference) == ("localhost", "a/b", "sha256:" + "0" * 64)
