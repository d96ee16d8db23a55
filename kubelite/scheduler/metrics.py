"""The scheduler's Prometheus metrics, under Kubernetes' names, on the component's registry.

scheduler_schedule_attempts_total{result,profile}          scheduled / unschedulable / error
scheduler_scheduling_attempt_duration_seconds{result,profile}   one attempt, start to decision
scheduler_pod_scheduling_sli_duration_seconds{attempts}    end to end: from the pod's first
                                                           attempt to its binding
scheduler_framework_extension_point_duration_seconds{extension_point,status,profile}
scheduler_pending_pods{queue}                              active / backoff / unschedulable
                                                           / gated, read at scrape time
scheduler_preemption_attempts_total, scheduler_preemption_victims
scheduler_pod_scheduling_attempts                          attempts until scheduled
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

SCHEDULED, UNSCHEDULABLE, ERROR = "scheduled", "unschedulable", "error"


def _exponential(start: float, factor: float, count: int) -> list[float]:
    return [start * factor**i for i in range(count)]


class _PendingPods(Collector):
    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        g = GaugeMetricFamily(
            "scheduler_pending_pods",
            "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; "
            "'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in "
            "unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the "
            "number of unschedulable pods that the scheduler never attempted to schedule because "
            "they are gated.",
            labels=["queue"],
        )
        for queue, n in self.counts().items():
            g.add_metric([queue], n)
        yield g


class SchedulerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.attempts = Counter(
            "scheduler_schedule_attempts",
            "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not "
            "be scheduled, while 'error' means an internal scheduler problem.",
            ["result", "profile"],
            registry=registry,
        )
        self.attempt_duration = Histogram(
            "scheduler_scheduling_attempt_duration_seconds",
            "Scheduling attempt latency in seconds (scheduling algorithm + binding)",
            ["result", "profile"],
            buckets=_exponential(0.001, 2, 15),
            registry=registry,
        )
        self.sli_duration = Histogram(
            "scheduler_pod_scheduling_sli_duration_seconds",
            "E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue "
            "and might involve multiple scheduling attempts.",
            ["attempts"],
            buckets=_exponential(0.01, 2, 20),
            registry=registry,
        )
        self.extension_point_duration = Histogram(
            "scheduler_framework_extension_point_duration_seconds",
            "Latency for running all plugins of a specific extension point.",
            ["extension_point", "status", "profile"],
            buckets=_exponential(0.0001, 2, 12),
            registry=registry,
        )
        self.preemption_attempts = Counter(
            "scheduler_preemption_attempts",
            "Total preemption attempts in the cluster till now",
            registry=registry,
        )
        self.preemption_victims = Histogram(
            "scheduler_preemption_victims",
            "Number of selected preemption victims",
            buckets=_exponential(1, 2, 7),
            registry=registry,
        )
        self.pod_scheduling_attempts = Histogram(
            "scheduler_pod_scheduling_attempts",
            "Number of attempts to successfully schedule a pod.",
            buckets=_exponential(1, 2, 5),
            registry=registry,
        )

    def watch_queue(self, counts: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_PendingPods(counts))

    def observer(self, profile: str) -> Callable[[str, str, float], None]:
        """The framework's hook for per-extension-point latency."""
        hist = self.extension_point_duration

        def observe(point: str, status: str, seconds: float) -> None:
            hist.labels(point, status, profile).observe(seconds)

        return observe

    def attempt(self, result: str, profile: str, seconds: float) -> None:
        self.attempts.labels(result, profile).inc()
        self.attempt_duration.labels(result, profile).observe(seconds)

    def scheduled(self, attempts: int, since_first_attempt: float) -> None:
        self.pod_scheduling_attempts.observe(attempts)
        self.sli_duration.labels("15+" if attempts >= 15 else str(attempts)).observe(since_first_attempt)
