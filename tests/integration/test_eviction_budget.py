"""The eviction subresource against a real API server: it reads and charges the budget's
status (as the disruption controller keeps it), so simultaneous evictions cannot overdraw it."""

from __future__ import annotations

import asyncio
import copy

import pytest

from kubelite.api import errors
from kubelite.client import Client, load_kubeconfig
from kubelite.server.testing import LocalCluster


async def _running_pod(client: Client, ns: str, name: str, labels: dict[str, str]) -> None:
    pods = client.resource("pods")
    await pods.create(
        {
            "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        },
        namespace=ns,
    )
    status = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    await pods.patch(name, {"status": status}, namespace=ns, subresource="status")


async def _budget(client: Client, ns: str, allowed: int, **status: object) -> dict:
    """A budget whose status says what the disruption controller would have written."""
    pdbs = client.resource("poddisruptionbudgets", group="policy")
    pdb = await pdbs.create(
        {
            "metadata": {"name": "guard"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "g"}}},
        },
        namespace=ns,
    )
    body = copy.deepcopy(pdb)
    body["status"] = {
        "observedGeneration": pdb["metadata"]["generation"],
        "expectedPods": 3,
        "desiredHealthy": 1,
        "currentHealthy": 1 + allowed,
        "disruptionsAllowed": allowed,
        **status,
    }
    return await pdbs.update(body, namespace=ns, subresource="status")


async def _evict(client: Client, ns: str, name: str) -> None:
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": ns}}
    await client.resource("pods").create(body, namespace=ns, subresource="eviction", name=name)


@pytest.fixture(scope="module")
def private_cluster(tmp_path_factory):
    """An API server of this module's own: no disruption controller may touch its budgets
    (the shared cluster may have one running for other tests)."""
    c = LocalCluster(tmp_path_factory.mktemp("eviction")).start()
    yield c
    c.stop()


@pytest.fixture
async def client(private_cluster):
    async with Client(load_kubeconfig(private_cluster.kubeconfig).with_rate_limits(1000, 1000)) as c:
        yield c


async def test_two_simultaneous_evictions_cannot_both_spend_the_last_disruption(client):
    ns = "evict-race"
    await client.resource("namespaces").create({"metadata": {"name": ns}})
    for name in ("a", "b", "c"):
        await _running_pod(client, ns, name, {"app": "g"})
    await _budget(client, ns, allowed=1)
    results = await asyncio.gather(*(_evict(client, ns, n) for n in ("a", "b")), return_exceptions=True)
    refused = [r for r in results if isinstance(r, errors.TooManyRequests)]
    assert len(refused) == 1 and results.count(None) == 1, results
    cause = refused[0].details["causes"][0]
    assert cause["reason"] == "DisruptionBudget"
    assert cause["message"] == "The disruption budget guard needs 1 healthy pods and has 2 currently"
    pdb = await client.resource("poddisruptionbudgets", group="policy").get("guard", namespace=ns)
    evicted = "a" if results[0] is None else "b"
    assert pdb["status"]["disruptionsAllowed"] == 0
    assert list(pdb["status"]["disruptedPods"]) == [evicted]
    [cond] = pdb["status"]["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == (
        "DisruptionAllowed",
        "False",
        "InsufficientPods",
    )


async def test_a_budget_the_controller_has_not_processed_yet_asks_to_retry(client):
    ns = "evict-pending"
    await client.resource("namespaces").create({"metadata": {"name": ns}})
    await _running_pod(client, ns, "a", {"app": "g"})
    await client.resource("poddisruptionbudgets", group="policy").create(
        {
            "metadata": {"name": "fresh"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "g"}}},
        },
        namespace=ns,
    )
    with pytest.raises(errors.TooManyRequests) as caught:
        await _evict(client, ns, "a")
    assert caught.value.details["causes"][0]["message"] == (
        "The disruption budget fresh is still being processed by the server."
    )
    assert caught.value.details["retryAfterSeconds"] == 10


async def test_pending_and_unready_pods_are_evicted_without_charging_the_budget(client):
    ns = "evict-free"
    await client.resource("namespaces").create({"metadata": {"name": ns}})
    pods = client.resource("pods")
    await pods.create(
        {
            "metadata": {"name": "pending", "labels": {"app": "g"}},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
        },
        namespace=ns,
    )
    await _running_pod(client, ns, "unready", {"app": "g"})
    status = {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}
    await pods.patch("unready", {"status": status}, namespace=ns, subresource="status")
    # No room in the budget, but it is met (1 healthy of 1 desired): unready pods may go.
    await _budget(client, ns, allowed=0)
    await _evict(client, ns, "pending")
    await _evict(client, ns, "unready")
    pdb = await client.resource("poddisruptionbudgets", group="policy").get("guard", namespace=ns)
    assert pdb["status"]["disruptionsAllowed"] == 0 and "disruptedPods" not in pdb["status"]
