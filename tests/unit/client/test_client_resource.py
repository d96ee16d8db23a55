"""Resource clients find their resource and build its paths (kubelite.client.resource)."""

from __future__ import annotations

from kubelite.client.resource import find_resource


def test_resource_paths_follow_the_api_layout():
    deploy = find_resource("deployments", group="apps")
    assert deploy.path("ns", "d", "scale") == "/apis/apps/v1/namespaces/ns/deployments/d/scale"
    assert find_resource("nodes").path("ns", "n") == "/api/v1/nodes/n"
    assert find_resource("pods").path() == "/api/v1/pods"
