"""The TTL-after-finished controller: finished Jobs deleted ttlSecondsAfterFinished later."""

from kubelite.controllers.ttlafterfinished.controller import TTLAfterFinishedController

__all__ = ["TTLAfterFinishedController"]
