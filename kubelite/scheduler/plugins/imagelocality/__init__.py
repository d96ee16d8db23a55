"""ImageLocality: prefer nodes that already have the pod's images."""

from kubelite.scheduler.plugins.imagelocality.image_locality import ImageLocality

__all__ = ["ImageLocality"]
