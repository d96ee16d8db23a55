"""The workqueue metrics kube-controller-manager publishes, on the process's /metrics.

One set of families, labelled by queue `name` (replicaset, deployment,
garbage_collector_attempt_to_delete, ...), with Kubernetes' names and help texts:

    workqueue_adds_total                          items added
    workqueue_depth                               items waiting now
    workqueue_queue_duration_seconds (histogram)  how long an item waited to be worked on
    workqueue_work_duration_seconds (histogram)   how long working on it took
    workqueue_retries_total                       rate-limited re-adds (failures)
    workqueue_unfinished_work_seconds             work in progress not yet observed as done
    workqueue_longest_running_processor_seconds   the longest a worker has been at one item

The counters and histograms are fed by the queues (`QueueMetrics`); the gauges are read
from the queues when scraped.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from kubelite.client.workqueue import QueueMetrics, WorkQueue

# Kubernetes' buckets: 10 ns to 10 s, by tens.
_BUCKETS = tuple(10e-9 * 10**i for i in range(10))


class WorkqueueMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["name"]
        self.adds = Counter(
            "workqueue_adds", "Total number of adds handled by workqueue", labels, registry=registry
        )
        self.depth = Gauge("workqueue_depth", "Current depth of workqueue", labels, registry=registry)
        self.latency = Histogram(
            "workqueue_queue_duration_seconds",
            "How long in seconds an item stays in workqueue before being requested.",
            labels,
            buckets=_BUCKETS,
            registry=registry,
        )
        self.work = Histogram(
            "workqueue_work_duration_seconds",
            "How long in seconds processing an item from workqueue takes.",
            labels,
            buckets=_BUCKETS,
            registry=registry,
        )
        self.retries = Counter(
            "workqueue_retries", "Total number of retries handled by workqueue", labels, registry=registry
        )
        self.unfinished = Gauge(
            "workqueue_unfinished_work_seconds",
            "How many seconds of work has been done that is in progress and hasn't been observed by "
            "work_duration. Large values indicate stuck threads. One can deduce the number of stuck "
            "threads by observing the rate at which this increases.",
            labels,
            registry=registry,
        )
        self.longest = Gauge(
            "workqueue_longest_running_processor_seconds",
            "How many seconds has the longest running processor for workqueue been running.",
            labels,
            registry=registry,
        )

    def for_queue(self, name: str) -> QueueMetrics:
        return _QueueMetrics(self, name)


class _QueueMetrics:
    def __init__(self, families: WorkqueueMetrics, name: str) -> None:
        self._adds = families.adds.labels(name)
        self._latency = families.latency.labels(name)
        self._work = families.work.labels(name)
        self._retries = families.retries.labels(name)
        self._families = families
        self._name = name

    def added(self) -> None:
        self._adds.inc()

    def taken(self, waited: float) -> None:
        self._latency.observe(waited)

    def finished(self, worked: float) -> None:
        self._work.observe(worked)

    def retried(self) -> None:
        self._retries.inc()

    def attach(self, queue: WorkQueue[Any]) -> None:
        f, name = self._families, self._name
        f.depth.labels(name).set_function(lambda: float(len(queue)))
        f.unfinished.labels(name).set_function(queue.unfinished_work_seconds)
        f.longest.labels(name).set_function(queue.longest_running_processor_seconds)
