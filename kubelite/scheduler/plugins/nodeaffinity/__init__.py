"""NodeAffinity: nodeSelector and required node affinity filter nodes; preferred node affinity
scores them."""

from kubelite.scheduler.plugins.nodeaffinity.node_affinity import NodeAffinity

__all__ = ["NodeAffinity"]
