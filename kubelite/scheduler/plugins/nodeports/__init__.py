"""NodePorts: a pod's hostPorts must be free on the node."""

from kubelite.scheduler.plugins.nodeports.node_ports import NodePorts

__all__ = ["NodePorts"]
