"""SchedulingGates: a pod with spec.schedulingGates waits outside the active queue."""

from kubelite.scheduler.plugins.schedulinggates.scheduling_gates import SchedulingGates

__all__ = ["SchedulingGates"]
