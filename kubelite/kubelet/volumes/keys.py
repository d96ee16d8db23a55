"""The files of a configMap or secret volume (or projection): every key, or the `items`
listed (key → path, with their own mode), with `defaultMode` for the rest."""

from __future__ import annotations

from kubelite.api.types import Object
from kubelite.kubelet.volumes.atomic_writer import FileProjection, Payload
from kubelite.kubelet.volumes.errors import VolumeError

DEFAULT_MODE = 0o644


def project(data: dict[str, bytes], source: Object, *, kind: str, default_mode: int | None = None) -> Payload:
    """`kind` names the source in errors: "configmap" or "secret"."""
    mode = source.get("defaultMode", default_mode if default_mode is not None else DEFAULT_MODE)
    items = source.get("items") or []
    if not items:
        return {k: FileProjection(v, mode) for k, v in data.items()}
    out: Payload = {}
    for item in items:
        key = item.get("key", "")
        if key not in data:
            if source.get("optional"):
                continue
            what = (
                "configmap references non-existent config key"
                if kind == "configmap"
                else ("references non-existent secret key")
            )
            raise VolumeError(f"{what}: {key}")
        out[item.get("path") or key] = FileProjection(data[key], item.get("mode", mode))
    return out
