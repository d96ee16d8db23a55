"""VolumeBinding: as far as kubelite has volumes - pods without claims pass; claims must exist
and be bound."""

from kubelite.scheduler.plugins.volumebinding.volume_binding import VolumeBinding

__all__ = ["VolumeBinding"]
