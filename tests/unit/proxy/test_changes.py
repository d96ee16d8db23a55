"""The change tracker: pending services coalesce, updates that change nothing the proxy
programs are dropped, and removed UDP endpoints are reported for conntrack cleanup."""

from __future__ import annotations

from kubelite.proxy.changes import ChangeTracker
from kubelite.proxy.model import ServicePortName
from kubelite.proxy.testing import READY, endpoint_slice, service


def test_only_services_whose_ports_or_endpoints_changed_are_reported():
    tracker = ChangeTracker("me")
    tracker.service_updated(service("web"))
    tracker.service_updated(service("api", ip="10.96.0.11"))
    assert tracker.take().changed == {"ns/web", "ns/api"}
    relabelled = service("web")
    relabelled["metadata"]["labels"] = {"x": "y"}  # nothing the rules depend on
    tracker.service_updated(relabelled)
    tracker.slice_updated(endpoint_slice("api", ("10.244.1.1", dict(READY))))
    snap = tracker.take()
    assert snap.changed == {"ns/api"}
    assert [e.address for e in snap.endpoints[ServicePortName("ns", "api", "http", "TCP")]] == [
        "10.244.1.1:8080"
    ]
    assert not tracker.pending()


def test_a_deleted_service_leaves_the_snapshot():
    tracker = ChangeTracker("me")
    tracker.service_updated(service("web"))
    tracker.take()
    tracker.service_updated(service("web"), deleted=True)
    snap = tracker.take()
    assert snap.changed == {"ns/web"} and snap.services == {}


def test_removed_udp_endpoints_and_udp_services_getting_their_first_endpoint_are_stale_flows():
    udp = [{"name": "dns", "port": 53, "protocol": "UDP"}]
    tracker = ChangeTracker("me")
    tracker.service_updated(service("dns", ports=udp))
    tracker.take()
    slice_ = endpoint_slice("dns", ("10.244.1.1", dict(READY)), ("10.244.1.2", dict(READY)))
    slice_["ports"] = [{"name": "dns", "port": 53, "protocol": "UDP"}]
    tracker.slice_updated(slice_)
    first = tracker.take()
    assert [s.cluster_ip for s in first.stale_udp_services] == ["10.96.0.10"]
    slice_ = {**slice_, "endpoints": slice_["endpoints"][:1]}
    tracker.slice_updated(slice_)
    second = tracker.take()
    assert [(s.port, e.ip) for s, e in second.stale_udp_endpoints] == [(53, "10.244.1.2")]
