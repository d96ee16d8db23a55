"""NodeResourcesFit and NodeResourcesBalancedAllocation: requests against allocatable.

fit.py                  NodeResourcesFit: Filter (Insufficient cpu/memory/..., Too many
                        pods) and Score by a strategy
scoring.py              the strategies: LeastAllocated (default), MostAllocated,
                        RequestedToCapacityRatio; the per-resource arithmetic
balanced_allocation.py  NodeResourcesBalancedAllocation: prefer nodes whose resources
                        would be used in even proportions
"""

from kubelite.scheduler.plugins.noderesources.balanced_allocation import BalancedAllocation
from kubelite.scheduler.plugins.noderesources.fit import Fit

__all__ = ["BalancedAllocation", "Fit"]
