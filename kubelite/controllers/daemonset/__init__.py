"""The DaemonSet controller: one pod on every eligible node."""

from kubelite.controllers.daemonset.controller import DaemonSetController

__all__ = ["DaemonSetController"]
