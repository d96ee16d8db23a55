"""TaintToleration: nodes' NoSchedule/NoExecute taints keep out pods that do not tolerate them;
PreferNoSchedule taints make a node less preferred."""

from kubelite.scheduler.plugins.tainttoleration.taint_toleration import TaintToleration

__all__ = ["TaintToleration"]
