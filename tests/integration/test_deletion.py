"""Deletion semantics: graceful pod deletion, finalizers, preconditions, terminating namespaces."""

from __future__ import annotations

import uuid

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kubelite.util.testing import wait_for


@pytest.fixture
def core(api_client):
    return client.CoreV1Api(api_client)


@pytest.fixture
def namespace(core):
    name = "del-" + uuid.uuid4().hex[:8]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def _pod(name: str, node: str | None = None, grace: int | None = None) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PodSpec(
            node_name=node,
            termination_grace_period_seconds=grace,
            containers=[client.V1Container(name="c", image="busybox")],
        ),
    )


def test_a_pod_on_a_node_is_deleted_gracefully_until_its_kubelet_confirms(core, namespace):
    core.create_namespaced_pod(namespace, _pod("p", node="node-a", grace=20))
    marked = core.delete_namespaced_pod("p", namespace)
    assert marked.metadata.deletion_timestamp is not None
    assert marked.metadata.deletion_grace_period_seconds == 20
    still = core.read_namespaced_pod("p", namespace)
    assert still.metadata.deletion_timestamp is not None
    # The kubelet finishes with grace 0 and a uid precondition.
    core.delete_namespaced_pod(
        "p",
        namespace,
        body=client.V1DeleteOptions(
            grace_period_seconds=0, preconditions=client.V1Preconditions(uid=still.metadata.uid)
        ),
    )
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("p", namespace)
    assert err.value.status == 404


def test_an_unscheduled_pod_is_deleted_at_once(core, namespace):
    core.create_namespaced_pod(namespace, _pod("u"))
    core.delete_namespaced_pod("u", namespace)
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("u", namespace)
    assert err.value.status == 404


def test_finalizers_hold_an_object_until_removed(core, namespace):
    cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="f", finalizers=["example.com/hold"]))
    core.create_namespaced_config_map(namespace, cm)
    core.delete_namespaced_config_map("f", namespace)
    held = core.read_namespaced_config_map("f", namespace)
    assert held.metadata.deletion_timestamp is not None
    with pytest.raises(ApiException) as err:  # a deleting object still refuses bad updates
        core.patch_namespaced_config_map("f", namespace, {"metadata": {"name": "other"}})
    assert err.value.status == 400
    core.patch_namespaced_config_map("f", namespace, {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("f", namespace)
    assert err.value.status == 404


def test_delete_preconditions_conflict_when_stale(core, namespace):
    created = core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="pc"))
    )
    with pytest.raises(ApiException) as err:
        core.delete_namespaced_config_map(
            "pc",
            namespace,
            body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="not-the-uid")),
        )
    assert err.value.status == 409
    core.delete_namespaced_config_map(
        "pc",
        namespace,
        body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=created.metadata.uid)),
    )


def test_dry_run_persists_nothing(core, namespace):
    core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="d")), dry_run="All"
    )
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("d", namespace)
    assert err.value.status == 404


def test_a_terminating_namespace_refuses_new_content(core, controller_manager):
    name = "term-" + uuid.uuid4().hex[:6]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    # A finalizer keeps one object, and so the namespace, around for a while.
    core.create_namespaced_config_map(
        name, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="keep", finalizers=["example.com/hold"]))
    )
    core.delete_namespace(name)
    ns = core.read_namespace(name)
    assert ns.status.phase == "Terminating"
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(name, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="new")))
    assert err.value.status == 403 and "being terminated" in err.value.body
    core.patch_namespaced_config_map("keep", name, {"metadata": {"finalizers": None}})

    def removed() -> bool:
        try:
            core.read_namespace(name)
        except ApiException as gone:
            assert gone.status == 404
            return True
        return False

    # The namespace controller waits 5 s after seeing the deletion, then cleans up.
    wait_for(removed, "the namespace to be removed after its content went away", timeout=30, interval=0.2)
