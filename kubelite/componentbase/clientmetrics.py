"""The API client's request metrics a component publishes, as client-go names them.

    rest_client_requests_total{code, host, method}      every request, by reply code
    rest_client_request_duration_seconds{verb, host}    how long each took

Set `client.metrics = RestClientMetrics(registry)` on a component's client; the clients it
derives (one per controller in the controller manager) report to the same families.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

_BUCKETS = (0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


class RestClientMetrics:
    def __init__(self, registry: CollectorRegistry, host: str = "") -> None:
        self.host = host
        self.requests = Counter(
            "rest_client_requests",
            "Number of HTTP requests, partitioned by status code, method, and host.",
            ["code", "host", "method"],
            registry=registry,
        )
        self.duration = Histogram(
            "rest_client_request_duration_seconds",
            "Request latency in seconds. Broken down by verb, and host.",
            ["verb", "host"],
            buckets=_BUCKETS,
            registry=registry,
        )

    def observe(self, method: str, code: int, seconds: float) -> None:
        self.requests.labels(str(code) if code else "<error>", self.host, method).inc()
        self.duration.labels(method, self.host).observe(seconds)
