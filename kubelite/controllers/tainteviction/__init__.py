"""The taint eviction controller: deletes pods from nodes tainted NoExecute, after their
tolerationSeconds.

    controller.py   which pods go, and when
    timed.py        the pending deletions, each cancellable until it fires
"""

from kubelite.controllers.tainteviction.controller import NAME, TaintEvictionController

__all__ = ["NAME", "TaintEvictionController"]
