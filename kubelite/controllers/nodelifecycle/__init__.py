"""The node lifecycle controller: node health from Leases and status, taints, eviction pacing.

health.py       is the kubelet alive? the grace periods and the Unknown verdict
taints.py       the NoSchedule taints from conditions; the NoExecute not-ready/unreachable
zones.py        zone keys, zone states, the eviction rate of each state
ratelimited.py  the per-zone queue of nodes waiting for their NoExecute taint
metrics.py      node_collector_* per zone
controller.py   the monitor pass, the tainting passes, pods marked not Ready
"""

from kubelite.controllers.nodelifecycle.controller import NAME, NodeLifecycleController

__all__ = ["NAME", "NodeLifecycleController"]
