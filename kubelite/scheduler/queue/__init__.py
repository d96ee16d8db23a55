"""The scheduling queue: which pending pod is tried next, and when a failed one is retried.

queued.py            QueuedPodInfo: a pod with its attempts, timestamps, and the plugins
                     that last rejected it
scheduling_queue.py  SchedulingQueue: the active queue, the back-off queue and the
                     unschedulable pods, moved between by time and cluster events
nominator.py         Nominator: pods nominated to a node by preemption, which other pods'
                     cycles must leave room for
"""

from kubelite.scheduler.queue.nominator import Nominator
from kubelite.scheduler.queue.queued import QueuedPodInfo
from kubelite.scheduler.queue.scheduling_queue import SchedulingQueue

__all__ = ["Nominator", "QueuedPodInfo", "SchedulingQueue"]
