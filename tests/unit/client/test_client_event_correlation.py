"""Event aggregation and spam filtering before events are written (kubelite.client.events)."""

from __future__ import annotations

from kubelite.client.events import COMBINED_PREFIX, EventCorrelator
from kubelite.util.clock import FakeClock


def _event(message, reason="FailedMount"):
    return {
        "metadata": {"name": f"p.{message}", "namespace": "ns"},
        "involvedObject": {"kind": "Pod", "name": "p"},
        "source": {"component": "kubelet"},
        "type": "Warning",
        "reason": reason,
        "message": message,
        "firstTimestamp": "t0",
        "lastTimestamp": "t1",
        "count": 1,
    }


def test_correlator_counts_repeats_combines_floods_and_filters_spam():
    clock = FakeClock()
    correlator = EventCorrelator(clock)
    first, update = correlator.correlate(_event("same"))
    assert not update
    again, update = correlator.correlate(_event("same"))
    assert update and again["count"] == 2 and again["metadata"]["name"] == "p.same"
    for i in range(8):
        correlator.correlate(_event(f"m{i}"))
    combined, update = correlator.correlate(_event("m8"))  # the tenth distinct message
    assert not update and combined["message"] == COMBINED_PREFIX + "m8"
    combined, update = correlator.correlate(_event("m9"))
    assert update and combined["count"] == 2
    # 12 events so far; the burst is 25, then one per 5 minutes.
    allowed = [correlator.correlate(_event("x", reason="Spam")) is not None for _ in range(20)]
    assert allowed.count(True) == 13
    clock._now += 300
    assert correlator.correlate(_event("x", reason="Spam")) is not None
