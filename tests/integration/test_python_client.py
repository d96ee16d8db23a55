"""The official `kubernetes` Python client against a real kubelite API server."""

from __future__ import annotations

import threading
import uuid

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException


@pytest.fixture
def core(api_client):
    return client.CoreV1Api(api_client)


@pytest.fixture
def namespace(core):
    name = "py-" + uuid.uuid4().hex[:8]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def _cm(name: str, labels: dict[str, str] | None = None, data: dict[str, str] | None = None):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data or {})


def test_crud_round_trip(core, namespace):
    created = core.create_namespaced_config_map(namespace, _cm("a", data={"k": "v"}))
    assert created.metadata.uid and int(created.metadata.resource_version) > 0
    got = core.read_namespaced_config_map("a", namespace)
    assert got.data == {"k": "v"} and got.metadata.uid == created.metadata.uid
    got.data["k"] = "w"
    replaced = core.replace_namespaced_config_map("a", namespace, got)
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    patched = core.patch_namespaced_config_map("a", namespace, {"metadata": {"labels": {"x": "1"}}})
    assert patched.metadata.labels == {"x": "1"} and patched.data == {"k": "w"}
    status = core.delete_namespaced_config_map("a", namespace)
    assert status["status"] == "Success" and status["details"]["name"] == "a"
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("a", namespace)
    assert err.value.status == 404


def test_pod_create_returns_schema_exact_pod(core, namespace):
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="p"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]),
    )
    created = core.create_namespaced_pod(namespace, pod)
    assert created.status.phase == "Pending"
    assert created.status.qos_class == "BestEffort"
    assert created.spec.restart_policy == "Always"
    assert created.spec.containers[0].image_pull_policy == "Always"
    assert created.spec.termination_grace_period_seconds == 30
    listed = core.list_namespaced_pod(namespace)
    assert [p.metadata.name for p in listed.items] == ["p"]
    deleted = core.delete_namespaced_pod("p", namespace)
    assert deleted.metadata.name == "p"  # pods answer DELETE with the pod, as Kubernetes


def test_list_with_label_and_field_selectors(core, namespace):
    core.create_namespaced_config_map(namespace, _cm("web-1", {"app": "web", "tier": "front"}))
    core.create_namespaced_config_map(namespace, _cm("web-2", {"app": "web", "tier": "back"}))
    core.create_namespaced_config_map(namespace, _cm("db", {"app": "db"}))

    def names(**kw):
        return sorted(i.metadata.name for i in core.list_namespaced_config_map(namespace, **kw).items)

    assert names(label_selector="app=web") == ["web-1", "web-2"]
    assert names(label_selector="app!=web") == ["db"]
    assert names(label_selector="tier in (front,middle)") == ["web-1"]
    assert names(label_selector="tier notin (front)") == ["db", "web-2"]
    assert names(label_selector="tier") == ["web-1", "web-2"]
    assert names(label_selector="!tier") == ["db"]
    assert names(field_selector="metadata.name=db") == ["db"]
    assert names(field_selector="metadata.name!=db", label_selector="app=web") == ["web-1", "web-2"]
    with pytest.raises(ApiException) as err:
        core.list_namespaced_config_map(namespace, field_selector="spec.nodeName=x")
    assert err.value.status == 400
    with pytest.raises(ApiException) as err:
        core.list_namespaced_config_map(namespace, label_selector="a in (")
    assert err.value.status == 400


def test_pagination_with_limit_and_continue(core, namespace):
    for i in range(7):
        core.create_namespaced_config_map(namespace, _cm(f"c{i}"))
    first = core.list_namespaced_config_map(namespace, limit=3)
    assert len(first.items) == 3 and first.metadata._continue
    assert first.metadata.remaining_item_count == 4
    seen = [i.metadata.name for i in first.items]
    token = first.metadata._continue
    # Changes after the first page do not show in the later ones: they list the snapshot.
    core.create_namespaced_config_map(namespace, _cm("c9"))
    core.patch_namespaced_config_map("c4", namespace, {"data": {"changed": "yes"}})
    core.delete_namespaced_config_map("c5", namespace)
    versions = {}
    while token:
        page = core.list_namespaced_config_map(namespace, limit=3, _continue=token)
        assert page.metadata.resource_version == first.metadata.resource_version
        seen += [i.metadata.name for i in page.items]
        versions.update({i.metadata.name: (i.data or {}) for i in page.items})
        token = page.metadata._continue
    assert seen == [f"c{i}" for i in range(7)]
    assert "changed" not in versions["c4"]


def test_a_watch_sees_every_event_in_order(core, namespace):
    start = core.list_namespaced_config_map(namespace).metadata.resource_version
    events: list[tuple[str, str, str]] = []
    w = watch.Watch()
    done = threading.Event()

    def consume():
        for ev in w.stream(
            core.list_namespaced_config_map, namespace, resource_version=start, timeout_seconds=20
        ):
            events.append((ev["type"], ev["object"].metadata.name, ev["object"].metadata.resource_version))
            if len(events) == 61:
                w.stop()
        done.set()

    t = threading.Thread(target=consume)
    t.start()
    for i in range(30):
        core.create_namespaced_config_map(namespace, _cm(f"w{i}"))
    for i in range(30):
        core.patch_namespaced_config_map(f"w{i}", namespace, {"data": {"n": str(i)}})
    core.delete_namespaced_config_map("w0", namespace)
    done.wait(30)
    t.join(5)
    assert [e[0] for e in events] == ["ADDED"] * 30 + ["MODIFIED"] * 30 + ["DELETED"]
    rvs = [int(e[2]) for e in events]
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs)


def test_watch_without_resource_version_starts_with_current_objects(core, namespace):
    core.create_namespaced_config_map(namespace, _cm("pre"))
    w = watch.Watch()
    first = next(iter(w.stream(core.list_namespaced_config_map, namespace, timeout_seconds=5)))
    w.stop()
    assert first["type"] == "ADDED" and first["object"].metadata.name == "pre"


def test_errors_carry_kubernetes_status_codes(core, namespace):
    core.create_namespaced_config_map(namespace, _cm("x"))
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(namespace, _cm("x"))
    assert err.value.status == 409 and '"reason":"AlreadyExists"' in err.value.body.replace(" ", "")
    cur = core.read_namespaced_config_map("x", namespace)
    core.patch_namespaced_config_map("x", namespace, {"data": {"a": "b"}})
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("x", namespace, cur)
    assert err.value.status == 409
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(namespace, _cm("Bad_Name"))
    assert err.value.status == 422
    with pytest.raises(ApiException) as err:
        core.read_namespace("missing-" + namespace)
    assert err.value.status == 404


def test_services_get_a_cluster_ip_and_node_ports(core, namespace):
    svc = client.V1Service(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1ServiceSpec(
            type="NodePort", selector={"app": "web"}, ports=[client.V1ServicePort(port=80, target_port=8080)]
        ),
    )
    created = core.create_namespaced_service(namespace, svc)
    assert created.spec.cluster_ip.startswith("10.")
    assert 30000 <= created.spec.ports[0].node_port <= 32767
    other = client.V1Service(
        metadata=client.V1ObjectMeta(name="other"),
        spec=client.V1ServiceSpec(cluster_ip=created.spec.cluster_ip, ports=[client.V1ServicePort(port=80)]),
    )
    with pytest.raises(ApiException) as err:
        core.create_namespaced_service(namespace, other)
    assert err.value.status == 422 and "already allocated" in err.value.body
    kubernetes = core.read_namespaced_service("kubernetes", "default")
    assert kubernetes.spec.cluster_ip == "10.96.0.1"
