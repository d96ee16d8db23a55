"""Client pieces without a server: config loading, errors, the cache, resync, reconcile, events."""

from __future__ import annotations

import asyncio
import base64

import pytest
import yaml

from kubelite.api.errors import AlreadyExists, Conflict, Gone, NotFound
from kubelite.client import ConfigError, Handlers, SharedInformer, in_cluster_config, load_kubeconfig
from kubelite.client.errors import error_from_response
from kubelite.client.events import COMBINED_PREFIX, EventCorrelator
from kubelite.client.reconcile import Controller, PermanentError, Requeue
from kubelite.client.resource import ResourceClient, find_resource
from kubelite.client.store import OWNER_UID_INDEX, Indexer, by_owner_uid
from kubelite.util.clock import FakeClock


def _write_kubeconfig(path, **user):
    cfg = {
        "clusters": [
            {"name": "c", "cluster": {"server": "https://h:6443/", "certificate-authority": "ca.pem"}}
        ],
        "users": [{"name": "u", "user": user}],
        "contexts": [
            {"name": "main", "context": {"cluster": "c", "user": "u", "namespace": "team"}},
            {"name": "other", "context": {"cluster": "c", "user": "u"}},
        ],
        "current-context": "main",
    }
    path.write_text(yaml.safe_dump(cfg))


def test_kubeconfig_resolves_context_files_relative_to_it_and_data(tmp_path, monkeypatch):
    (tmp_path / "ca.pem").write_bytes(b"CA")
    _write_kubeconfig(
        tmp_path / "config", token="t0k", **{"client-certificate-data": base64.b64encode(b"CERT").decode()}
    )
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing") + ":" + str(tmp_path / "config"))
    cfg = load_kubeconfig()
    assert (cfg.server, cfg.ca_data, cfg.client_cert_data, cfg.token, cfg.namespace) == (
        "https://h:6443",
        b"CA",
        b"CERT",
        "t0k",
        "team",
    )
    assert load_kubeconfig(context="other").namespace == "default"
    with pytest.raises(ConfigError):
        load_kubeconfig(context="nope")


def test_in_cluster_config_reads_the_service_account_mount(tmp_path):
    (tmp_path / "token").write_text("sa-token\n")
    (tmp_path / "namespace").write_text("apps")
    (tmp_path / "ca.crt").write_bytes(b"CA")
    env = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    cfg = in_cluster_config(tmp_path, env)
    assert (cfg.server, cfg.bearer_token(), cfg.namespace, cfg.ca_data) == (
        "https://10.96.0.1:443",
        "sa-token",
        "apps",
        b"CA",
    )
    (tmp_path / "token").write_text("rotated")
    assert cfg.bearer_token() == "rotated"
    with pytest.raises(ConfigError):
        in_cluster_config(tmp_path, {})


def test_errors_are_built_from_the_status_reason_then_the_code():
    def status(reason, code):
        return f'{{"kind":"Status","reason":"{reason}","code":{code},"message":"m"}}'.encode()

    assert isinstance(error_from_response(409, status("AlreadyExists", 409)), AlreadyExists)
    assert isinstance(error_from_response(409, status("Conflict", 409)), Conflict)
    assert isinstance(error_from_response(410, status("Expired", 410)), Gone)
    assert isinstance(error_from_response(404, b"<html>no</html>"), NotFound)
    assert error_from_response(502, b"").code == 502


def test_resource_paths_follow_the_api_layout():
    deploy = find_resource("deployments", group="apps")
    assert deploy.path("ns", "d", "scale") == "/apis/apps/v1/namespaces/ns/deployments/d/scale"
    assert find_resource("nodes").path("ns", "n") == "/api/v1/nodes/n"
    assert find_resource("pods").path() == "/api/v1/pods"


def _pod(name, uid="", rv="1", owner=None):
    meta = {"name": name, "namespace": "ns", "resourceVersion": rv}
    if owner:
        meta["ownerReferences"] = [{"uid": owner}]
    return {"metadata": meta, "spec": {}}


def test_indexes_follow_updates_and_deletes():
    idx = Indexer({OWNER_UID_INDEX: by_owner_uid})
    idx.upsert(_pod("a", owner="rs1"))
    idx.upsert(_pod("b", owner="rs1"))
    idx.upsert(_pod("a", owner="rs2"))
    assert idx.index_keys(OWNER_UID_INDEX, "rs1") == ["ns/b"]
    idx.delete(_pod("b"))
    assert idx.index_keys(OWNER_UID_INDEX, "rs1") == [] and idx.index_values(OWNER_UID_INDEX) == ["rs2"]


async def test_relist_reports_vanished_objects_and_resync_redelivers_everything():
    clock = FakeClock()
    informer = SharedInformer(ResourceClient(None, find_resource("pods")), clock=clock)  # type: ignore[arg-type]
    seen: list[tuple[str, str]] = []
    informer.add_event_handler(
        Handlers(
            add=lambda o: seen.append(("add", o["metadata"]["name"])),
            update=lambda o, n: seen.append(("update", n["metadata"]["name"])),
            delete=lambda o: seen.append(("delete", o["metadata"]["name"])),
        ),
        resync_period=30,
    )
    informer.replace([_pod("a"), _pod("b")], "5")
    informer.replace([_pod("a", rv="6")], "6")
    assert seen == [("add", "a"), ("add", "b"), ("update", "a"), ("delete", "b")]
    seen.clear()
    resync = asyncio.ensure_future(informer._resync_loop())
    await clock.advance(29)
    assert seen == []
    await clock.advance(2)
    assert seen == [("update", "a")]
    late: list[str] = []
    informer.add_event_handler(Handlers(add=lambda o: late.append(o["metadata"]["name"])))
    assert late == ["a"]
    resync.cancel()


async def test_controller_retries_with_back_off_forgets_on_success_and_requeues_on_request():
    clock = FakeClock()
    calls: list[tuple[str, float]] = []
    outcomes = {
        "flaky": [RuntimeError("boom"), RuntimeError("boom"), None],
        "poll": [Requeue(after=60), None],
        "bad": [PermanentError("spec is wrong")],
    }

    async def reconcile(key: str) -> Requeue | None:
        calls.append((key, clock.now()))
        outcome = outcomes[key].pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    controller = Controller("test", reconcile, workers=2, clock=clock)
    for key in outcomes:
        controller.enqueue(key)
    ready = asyncio.Event()
    task = asyncio.ensure_future(controller.run(ready))
    await clock.advance(0.1)
    assert ready.is_set()
    await clock.advance(120)
    start = calls[0][1]
    flaky = [round(t - start, 3) for k, t in calls if k == "flaky"]
    assert flaky == [0.0, 0.005, 0.015]  # 5 ms, then 10 ms more
    assert [round(t - start) for k, t in calls if k == "poll"] == [0, 60]
    assert [k for k, _ in calls].count("bad") == 1
    assert controller.queue.num_requeues("flaky") == 0
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


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
