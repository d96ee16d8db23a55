"""The pod garbage collector: terminated pods beyond a threshold, orphans of deleted nodes,
terminating pods nothing else will finish.

    controller.py   the periodic pass and its four kinds of pods
"""

from kubelite.controllers.podgc.controller import NAME, PodGCController

__all__ = ["NAME", "PodGCController"]
