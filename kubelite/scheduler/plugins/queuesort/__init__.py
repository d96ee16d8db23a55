"""PrioritySort: the queue pops the highest priority first, then the earliest arrival."""

from kubelite.scheduler.plugins.queuesort.priority_sort import PrioritySort

__all__ = ["PrioritySort"]
