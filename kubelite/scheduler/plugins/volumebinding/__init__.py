"""VolumeBinding: claims must exist; bound ones' volumes must fit the node; claims of
WaitForFirstConsumer classes are bound (or provisioned) for the node chosen."""

from kubelite.scheduler.plugins.volumebinding.volume_binding import VolumeBinding

__all__ = ["VolumeBinding"]
