"""Registry mirrors (`--registry-mirror REGISTRY=ENDPOINT`): parsed, then tried in order before
the registry itself (kubelite.image.registry)."""

from __future__ import annotations

import pytest

from kubelite.image.reference import parse
from kubelite.image.registry import RegistryClient, parse_mirror


def test_registry_mirrors_are_tried_in_order_before_the_registry_itself():
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
