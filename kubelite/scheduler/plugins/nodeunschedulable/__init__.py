"""NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods that tolerate it."""

from kubelite.scheduler.plugins.nodeunschedulable.node_unschedulable import NodeUnschedulable

__all__ = ["NodeUnschedulable"]
