"""The API server under hostile input: whatever a client sends, it answers with a Kubernetes
Status (400, 413, 422, ...), never a 500, never a dropped connection - and a client that
sends slowly or not at all holds only its own connection.

Requests are written byte for byte on a TLS socket, so paths and headers can carry what
well-behaved HTTP libraries refuse to send.
"""

# ruff: noqa: E501 -- expected messages are quoted whole, as users see them

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import ssl
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from kubelite.server.testing import LocalCluster
from kubelite.util.testing import wait_for, wait_for_async


def _context(cluster: LocalCluster) -> ssl.SSLContext:
    pki = cluster.data_dir / "pki"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(pki / "admin.crt", pki / "admin.key")
    return ctx


def raw(
    cluster: LocalCluster,
    method: str,
    target: str,
    body: bytes = b"",
    content_type: str = "application/json",
    extra_headers: tuple[tuple[str, str], ...] = (),
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request as raw bytes; (status, headers, body) of the answer. A dropped connection
    raises, which fails the test."""
    with socket.create_connection(("127.0.0.1", cluster.port), timeout=30) as plain:
        with _context(cluster).wrap_socket(plain, server_hostname="127.0.0.1") as tls:
            head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in extra_headers)
            tls.sendall(head.encode("utf-8", "surrogateescape") + b"\r\n" + body)
            resp = http.client.HTTPResponse(tls)  # type: ignore[arg-type]
            resp.begin()
            return resp.status, resp.msg, resp.read()


def status_of(body: bytes) -> dict:
    status = json.loads(body)
    assert status["kind"] == "Status" and status["status"] == "Failure", status
    return status


@pytest.fixture
def ns(cluster: LocalCluster) -> str:
    name = "h-" + uuid.uuid4().hex[:8]
    code, _, body = raw(
        cluster, "POST", "/api/v1/namespaces", json.dumps({"metadata": {"name": name}}).encode()
    )
    assert code == 201, body
    return name


def test_an_eviction_whose_delete_options_is_a_list_is_a_bad_request(cluster, ns):
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    assert raw(cluster, "POST", f"/api/v1/namespaces/{ns}/pods", json.dumps(pod).encode())[0] == 201
    body = json.dumps({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p"},
                       "deleteOptions": [None, None]}).encode()  # fmt: skip
    code, _, answer = raw(cluster, "POST", f"/api/v1/namespaces/{ns}/pods/p/eviction", body)
    assert code == 400
    assert status_of(answer)["message"] == (
        "json: cannot unmarshal array into Go struct field deleteOptions of type v1.DeleteOptions"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"7", "json: cannot unmarshal number into Go value of type v1.DeleteOptions"),
        (b'"x"', "json: cannot unmarshal string into Go value of type v1.DeleteOptions"),
        (b'{"dryRun": 1.5}', "json: cannot unmarshal number into Go struct field DeleteOptions.dryRun of type []string"),
        (b'{"dryRun": [1]}', "json: cannot unmarshal number into Go struct field DeleteOptions.dryRun of type string"),
        (b'{"gracePeriodSeconds": "5"}', "json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64"),
        (b'{"preconditions": {"uid": 5}}', "json: cannot unmarshal number into Go struct field DeleteOptions.preconditions.uid of type string"),
        (b'{"orphanDependents": "yes"}', "json: cannot unmarshal string into Go struct field DeleteOptions.orphanDependents of type bool"),
        (b"{not json", None),
    ],
)  # fmt: skip
def test_delete_and_deletecollection_bodies_of_the_wrong_type_are_bad_requests(cluster, ns, body, message):
    for target in (f"/api/v1/namespaces/{ns}/configmaps", f"/api/v1/namespaces/{ns}/configmaps/none"):
        code, _, answer = raw(cluster, "DELETE", target, body)
        assert code == 400, answer
        if message is not None:
            assert status_of(answer)["message"] == message


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"metadata": []}, "json: cannot unmarshal array into Go struct field ConfigMap.metadata of type v1.ObjectMeta"),
        ({"metadata": {"name": "x", "labels": {"a": 1}}}, "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"),
        ({"metadata": {"name": "x"}, "data": ["a"]}, "json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string"),
        ({"metadata": {"name": "x"}, "immutable": "yes"}, "json: cannot unmarshal string into Go struct field ConfigMap.immutable of type bool"),
    ],
)  # fmt: skip
def test_objects_with_values_of_the_wrong_type_are_bad_requests_naming_the_field(cluster, ns, obj, message):
    code, _, answer = raw(cluster, "POST", f"/api/v1/namespaces/{ns}/configmaps", json.dumps(obj).encode())
    assert code == 400
    assert status_of(answer)["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: ' + message
    )


def test_a_deployment_with_a_string_for_replicas_names_the_field_as_kubernetes_does(cluster, ns):
    d = {"metadata": {"name": "d"}, "spec": {"replicas": "three"}}
    code, _, answer = raw(
        cluster, "POST", f"/apis/apps/v1/namespaces/{ns}/deployments", json.dumps(d).encode()
    )
    assert code == 400
    assert status_of(answer)["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string '
        "into Go struct field DeploymentSpec.spec.replicas of type int32"
    )


@pytest.mark.parametrize(
    "body",
    [b"", b"[]", b"null", b"42", b'"s"', b"{", b"\xff\xfe", b'{"metadata": {"name": "\\ud800"}}'],
)
def test_bodies_that_are_not_objects_are_bad_requests(cluster, ns, body):
    code, _, answer = raw(cluster, "POST", f"/api/v1/namespaces/{ns}/configmaps", body)
    assert code == 400, answer
    status_of(answer)


def test_yaml_and_protobuf_bodies_that_do_not_decode_are_bad_requests(cluster, ns):
    target = f"/api/v1/namespaces/{ns}/configmaps"
    for body, ctype in (
        (b"a: [b", "application/yaml"),
        (b"- 1\n- 2\n", "application/yaml"),
        (b"a: !!python/object:os.system x", "application/yaml"),
        (b"\x00\x01\x02", "application/vnd.kubernetes.protobuf"),
        (b"k8s\x00\x0a\x05", "application/vnd.kubernetes.protobuf"),
    ):
        code, _, answer = raw(cluster, "POST", target, body, content_type=ctype)
        assert code == 400, (body, answer)
        status_of(answer)


def test_a_body_nested_too_deeply_is_refused_as_json_and_as_yaml(cluster, ns):
    target = f"/api/v1/namespaces/{ns}/configmaps"
    deep_json = b'{"metadata": {"name": "deep", "annotations": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5002
    code, _, answer = raw(cluster, "POST", target, deep_json)
    assert code == 400 and "nested too deeply" in status_of(answer)["message"]
    deep_yaml = b"metadata:\n  name: deep\ndata: " + b"[" * 3000 + b"]" * 3000
    code, _, answer = raw(cluster, "POST", target, deep_yaml, content_type="application/yaml")
    assert code == 400 and "nested too deeply" in status_of(answer)["message"]


def test_a_body_over_three_mebibytes_is_413_request_entity_too_large(cluster, ns):
    big = json.dumps({"metadata": {"name": "big"}, "data": {"a": "x" * (3 * 1024 * 1024)}}).encode()
    code, _, answer = raw(cluster, "POST", f"/api/v1/namespaces/{ns}/configmaps", big)
    assert code == 413
    status = status_of(answer)
    assert status["reason"] == "RequestEntityTooLarge"
    assert status["message"] == "Request entity too large: limit is 3145728"


def test_integers_beyond_64_bits_are_refused_not_crashed_on(cluster, ns):
    target = f"/api/v1/namespaces/{ns}/configmaps"
    yaml_body = b"metadata:\n  name: huge\n  generation: 99999999999999999999999\n"
    code, _, answer = raw(cluster, "POST", target, yaml_body, content_type="application/yaml")
    assert code == 400, answer
    assert "of type int64" in status_of(answer)["message"]
    code, _, answer = raw(cluster, "DELETE", f"{target}/none?gracePeriodSeconds=99999999999999999999")
    assert code == 400 and "gracePeriodSeconds" in status_of(answer)["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("dryRun=maybe", 'Invalid dry run value: "maybe": supported values: "All"'),
        ("fieldValidation=Sideways", 'Invalid fieldValidation value: "Sideways": supported values: "Ignore", "Strict", "Warn"'),
        ("gracePeriodSeconds=x", 'invalid value for gracePeriodSeconds: "x": must be an integer'),
        ("propagationPolicy=Sometimes", 'propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan"'),
    ],
)  # fmt: skip
def test_malformed_query_parameters_are_bad_requests_with_kubernetes_messages(cluster, ns, query, message):
    code, _, answer = raw(cluster, "DELETE", f"/api/v1/namespaces/{ns}/configmaps/none?{query}")
    assert code == 400
    assert status_of(answer)["message"] == message


@pytest.mark.parametrize(
    "query",
    ["labelSelector=a%20in%20(", "fieldSelector=spec.nope%3Dx", "resourceVersion=abc", "continue=%%%",
     "limit=x", "timeoutSeconds=1e9", "watch=maybe"],
)  # fmt: skip
def test_malformed_list_parameters_are_bad_requests(cluster, ns, query):
    code, _, answer = raw(cluster, "GET", f"/api/v1/namespaces/{ns}/configmaps?{query}")
    assert code == 400, answer
    status_of(answer)


def test_an_absurd_watch_timeout_is_clamped_and_an_absurd_limit_lists_everything(cluster, ns):
    code, _, answer = raw(cluster, "GET", f"/api/v1/namespaces/{ns}/configmaps?limit=9223372036854775807")
    assert code == 200 and json.loads(answer)["kind"] == "ConfigMapList"
    with socket.create_connection(("127.0.0.1", cluster.port), timeout=10) as plain:
        with _context(cluster).wrap_socket(plain, server_hostname="127.0.0.1") as tls:
            target = f"/api/v1/namespaces/{ns}/configmaps?watch=1&timeoutSeconds=9223372036854775807"
            tls.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert tls.recv(100).startswith(b"HTTP/1.1 200")  # the watch runs; nothing overflowed


@pytest.mark.parametrize(
    "target",
    [
        "/api/v1/namespaces/a%0Ab/pods",
        "/api/v1/namespaces/default/pods?labelSelector=a%0Ab",
        "/api/v1/namespaces/default/pods?fieldValidation=%0A",
        "/api/v1/namespaces/default/configmaps?dryRun=%01",
        "/api/v1/namespaces/default/configmaps?fieldManager=a%0Ab",
        "/api/v1/namespaces/%E2%80%AE/configmaps/%00",
    ],
)
def test_control_characters_in_paths_queries_and_fields_are_never_echoed_into_headers(cluster, target):
    obj = {
        "metadata": {"name": "cc-" + uuid.uuid4().hex[:6]},
        "data": {"a": "b"},
        "bogus\u0001\n": 1,
        "ok\u007f": 2,
    }
    for method, body in (("GET", b""), ("POST", json.dumps(obj).encode())):
        code, headers, answer = raw(cluster, method, target, body)
        assert code < 500, answer
        for value in headers.get_all("Warning") or []:
            assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value), value


def test_a_warning_without_control_characters_still_reaches_the_client(cluster, ns):
    obj = {"metadata": {"name": "warned"}, "data": {"a": "b"}, "bogus": 1}
    code, headers, _ = raw(cluster, "POST", f"/api/v1/namespaces/{ns}/configmaps", json.dumps(obj).encode())
    assert code == 201
    assert headers.get_all("Warning") == ['299 - "unknown field \\"bogus\\""']


def test_the_python_client_gets_api_exceptions_not_server_errors(api_client, ns):
    """The official client validates typed bodies itself; what reaches the server wrong is a
    patch body (free-form), a selector, a policy, a resourceVersion."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    core = client.CoreV1Api(api_client)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "target"}, "data": {"a": "b"}})
    calls = [
        lambda: core.patch_namespaced_config_map("target", ns, {"data": ["not", "a", "map"]}),
        lambda: core.patch_namespaced_config_map("target", ns, {"metadata": {"labels": {"a": 1}}}),
        lambda: core.delete_collection_namespaced_config_map(ns, propagation_policy="Sometimes"),
        lambda: core.list_namespaced_config_map(ns, label_selector="a in ("),
        lambda: core.list_namespaced_config_map(ns, resource_version="abc"),
        lambda: core.delete_namespaced_config_map("target", ns, grace_period_seconds=2**70),
    ]
    for call in calls:
        with pytest.raises(ApiException) as caught:
            call()
        assert caught.value.status == 400, caught.value.body
        assert json.loads(caught.value.body)["kind"] == "Status"


def test_idle_connections_and_a_slow_sender_do_not_delay_others(cluster, ns, tmp_path: Path):
    stop = threading.Event()
    idle: list[socket.socket] = []
    for i in range(200):  # half stuck before TLS, half after, sending nothing
        s = socket.create_connection(("127.0.0.1", cluster.port))
        if i % 2:
            s = _context(cluster).wrap_socket(s, server_hostname="127.0.0.1")
        idle.append(s)

    sent: list[int] = []  # the bytes of its request the slow sender has sent so far

    def slow_sender() -> None:
        with socket.create_connection(("127.0.0.1", cluster.port)) as plain:
            with _context(cluster).wrap_socket(plain, server_hostname="127.0.0.1") as tls:
                request = f"POST /api/v1/namespaces/{ns}/configmaps HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
                for ch in request.encode():
                    if stop.wait(0.05):
                        return
                    tls.sendall(bytes([ch]))
                    sent.append(ch)
                while not stop.wait(0.05):
                    tls.sendall(b" ")

    sender = threading.Thread(target=slow_sender, daemon=True)
    sender.start()
    try:
        wait_for(lambda: len(sent) >= 10, "the slow sender to be mid-request")  # the idle ones are connected
        started = time.monotonic()
        result = subprocess.run(["kubectl", "get", "configmaps", "-n", ns, "-o", "name"], env=cluster.env(),
                                capture_output=True, text=True, timeout=30)  # fmt: skip
        elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stderr
    finally:
        stop.set()
        sender.join(5)
        for s in idle:
            s.close()
    # Not a timing assertion on kubelite's speed: a kubectl get takes ~0.2 s; stuck behind the
    # idle and slow connections it would take until they time out (tens of seconds).
    assert elapsed < 5, f"kubectl get took {elapsed:.1f}s behind idle and slow connections"


def _registered_watchers(cluster: LocalCluster, kind: str) -> int:
    code, _, body = raw(cluster, "GET", "/metrics")
    assert code == 200
    for line in body.decode().splitlines():
        if (
            line.startswith("apiserver_registered_watchers{")
            and f'kind="{kind}"' in line
            and 'group=""' in line
        ):
            return int(float(line.rsplit(" ", 1)[1]))
    raise AssertionError(f"no apiserver_registered_watchers for {kind}")


async def test_a_client_that_leaves_mid_watch_frees_its_watch(cluster, ns):
    ctx = _context(cluster)
    before = _registered_watchers(cluster, "Secret")
    for _ in range(20):
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", cluster.port, ssl=ctx, server_hostname="127.0.0.1"
        )
        writer.write(f"GET /api/v1/namespaces/{ns}/secrets?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        await writer.drain()
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        writer.transport.abort()
    assert _registered_watchers(cluster, "Secret") >= before + 1  # they were registered
    await wait_for_async(
        lambda: _registered_watchers(cluster, "Secret") <= before,
        "the abandoned watches to be freed",
        timeout=20,
        interval=0.5,
    )
