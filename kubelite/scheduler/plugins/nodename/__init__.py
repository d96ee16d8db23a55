"""NodeName: a pod that names a node (spec.nodeName) fits only that node."""

from kubelite.scheduler.plugins.nodename.node_name import NodeName

__all__ = ["NodeName"]
