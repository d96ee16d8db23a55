"""Services carrying traffic on the real local node, in each proxy mode (the `proxy`
fixture; the Deployment and the client pod stay while the proxy is restarted in the next
mode): busybox httpd pods behind a ClusterIP reached from another pod (every backend
answers; with ClientIP affinity one does), a NodePort reached from the host, a backend
taken out of the Service never answering after the update. The iptables mode further: the
rules shaped as kube-proxy's in iptables-save, a Service without endpoints refusing, an
unassigned service address unreachable; the userspace mode: its redirect chains."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from kubelite.proxy.iptables import names
from kubelite.proxy.servicerange import TABLE
from kubelite.server.testing import UpCluster
from kubelite.util.testing import wait_for

from .conftest import Proxy

REPLICAS = 3
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _apply(cluster: UpCluster, *objs: dict) -> None:
    cluster.kubectl(
        "apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objs)})
    )


def _json(cluster: UpCluster, *args: str) -> dict:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def _backend(name: str, registry: str) -> dict:
    script = "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": REPLICAS,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [
                        {
                            "name": "httpd",
                            "image": f"{registry}/busybox:latest",
                            "command": ["sh", "-c", script],
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
                        }
                    ],
                },
            },
        },
    }


def _service(name: str, selector: str, **spec: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "selector": {"app": selector},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            **spec,
        },
    }


class Web:
    def __init__(self, cluster: UpCluster, name: str) -> None:
        self.cluster, self.name = cluster, name
        self.client = f"{name}-client"

    @property
    def cluster_ip(self) -> str:
        return str(_json(self.cluster, "service", self.name)["spec"]["clusterIP"])

    def pods(self) -> dict[str, str]:
        """pod name -> IP of the ready backends."""
        items = _json(self.cluster, "pods", "-l", f"app={self.name}")["items"]
        return {
            p["metadata"]["name"]: p["status"]["podIP"]
            for p in items
            if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
        }

    def fetch(self, ip: str, port: int, times: int) -> list[str]:
        """What `times` HTTP requests from the client pod to ip:port answered (the body's
        last line: the backend's hostname), or nc's error."""
        request = "printf 'GET / HTTP/1.0\\r\\n\\r\\n'"
        script = f"for i in $(seq {times}); do {request} | nc -w 3 {ip} {port} 2>&1 | tail -n 1; done"
        r = self.cluster.kubectl("exec", self.client, "--", "sh", "-c", script, check=False, timeout=120)
        return [line.strip() for line in (r.stdout + r.stderr).splitlines() if line.strip()]


@pytest.fixture(scope="module")
def web(cluster: UpCluster, registry: str) -> Iterator[Web]:
    name = "web-" + uuid.uuid4().hex[:5]
    wait_for(
        lambda: cluster.kubectl("get", "serviceaccount", "default", check=False).returncode == 0,
        "the default service account",
        timeout=60,
    )
    client = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"{name}-client"},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {"name": "c", "image": f"{registry}/busybox:latest", "command": ["sleep", "3600"]}
            ],
        },
    }
    _apply(cluster, _backend(name, registry), _service(name, name), client)
    w = Web(cluster, name)
    try:
        wait_for(lambda: len(w.pods()) == REPLICAS, "the backends to be ready", timeout=90, interval=0.5)
    except AssertionError as err:
        state = cluster.kubectl("describe", "pods", check=False).stdout[-6000:]
        raise AssertionError(f"{err}\n{state}\n{cluster.log()}") from None
    cluster.kubectl("wait", "--for=condition=Ready", f"pod/{w.client}", "--timeout=60s")
    yield w
    cluster.kubectl("delete", "deployment,service", name, "--wait=false", check=False)
    cluster.kubectl("delete", "pod", w.client, "--grace-period=0", "--force", "--wait=false", check=False)


@pytest.fixture
def served(web: Web, proxy: Proxy) -> Web:
    """`web` once the proxy of this mode has programmed it (a request gets a backend)."""
    wait_for(lambda: web.fetch(web.cluster_ip, 80, 1)[0] in web.pods(), f"{proxy.mode} to serve", timeout=30)
    wait_for(proxy.synced, "the proxy to catch up", timeout=30)
    return web


def _iptables_save() -> str:
    return subprocess.run(["iptables-save"], capture_output=True, text=True, check=True).stdout


def test_every_backend_answers_through_the_cluster_ip(served: Web):
    answers = Counter(served.fetch(served.cluster_ip, 80, 30))
    assert set(answers) == set(served.pods()), answers


@pytest.mark.proxy_modes("iptables")
def test_the_rules_are_shaped_as_kube_proxys(served: Web, proxy: Proxy):
    # every ready backend, the newest included once the proxy has seen its endpoint
    wait_for(
        lambda: all(f"{ip}:8080" in _iptables_save() for ip in served.pods().values()),
        "endpoints",
        timeout=30,
    )
    nat = _iptables_save().split("*nat", 1)[1]
    label = f"default/{served.name}:http"
    svc = names.service_chain(label, "TCP")
    assert re.search(r"-A PREROUTING .*-j KUBE-SERVICES", nat)
    assert re.search(
        rf"-A KUBE-SERVICES -d {re.escape(served.cluster_ip)}/32 -p tcp .*--dport 80 -j {svc}", nat
    )
    rules = [line for line in nat.splitlines() if line.startswith(f"-A {svc} ")]
    assert len(rules) == 1 + REPLICAS  # the masquerade rule, then one per endpoint
    assert "--probability 0.33333333349" in rules[1] and "--probability 0.50000000000" in rules[2]
    for ip in served.pods().values():
        sep = names.endpoint_chain(label, "TCP", f"{ip}:8080")
        assert (
            f'-A {sep} -p tcp -m comment --comment "{label}" -m tcp -j DNAT --to-destination {ip}:8080' in nat
        )
    assert (
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE'
        in nat
    )


@pytest.mark.proxy_modes("userspace")
def test_the_userspace_mode_redirects_the_service_ip_to_its_relay(served: Web, proxy: Proxy):
    nat = _iptables_save().split("*nat", 1)[1]
    assert re.search(
        r"-A PREROUTING -m comment --comment \"handle ClusterIPs; .*-j KUBE-PORTALS-CONTAINER", nat
    )
    ip = re.escape(served.cluster_ip)
    pattern = rf"-A KUBE-PORTALS-CONTAINER -d {ip}/32 -p tcp .*--dport 80 -j REDIRECT --to-ports \d+"
    assert re.search(pattern, nat)
    assert "KUBE-SVC-" not in nat  # the iptables mode's rules were cleaned up


@pytest.mark.proxy_modes("nftables")
def test_the_nftables_mode_programs_kube_proxys_table(served: Web, proxy: Proxy):

    def table() -> str:
        return subprocess.run(
            ["nft", "list", "table", "ip", "kube-proxy"], capture_output=True, text=True
        ).stdout

    # every ready backend, the newest included once the proxy has seen its endpoint
    wait_for(
        lambda: all(f"dnat to {ip}:8080" in table() for ip in served.pods().values()),
        "the endpoints",
        timeout=30,
    )
    ip = re.escape(served.cluster_ip)
    assert re.search(
        rf"{ip} \. tcp \. 80 : goto service-[A-Z2-7]{{8}}-default/{served.name}/tcp/http", table()
    )
    assert "KUBE-SVC-" not in _iptables_save()  # the iptables mode's rules were cleaned up


def test_client_ip_affinity_pins_one_backend(cluster: UpCluster, served: Web, proxy: Proxy):
    cluster.kubectl("patch", "service", served.name, "-p", '{"spec":{"sessionAffinity":"ClientIP"}}')
    try:
        wait_for(
            lambda: len(set(served.fetch(served.cluster_ip, 80, 3))) == 1, "the affinity to apply", timeout=30
        )
        answers = Counter(served.fetch(served.cluster_ip, 80, 20))
        assert len(answers) == 1 and set(answers) <= set(served.pods()), answers
    finally:
        cluster.kubectl("patch", "service", served.name, "-p", '{"spec":{"sessionAffinity":"None"}}')
    wait_for(lambda: len(set(served.fetch(served.cluster_ip, 80, 12))) > 1, "the affinity to go", timeout=30)


def test_a_node_port_answers_from_the_host(cluster: UpCluster, served: Web, proxy: Proxy):
    name = f"{served.name}-np-{proxy.mode[:4]}"
    _apply(cluster, _service(name, served.name, type="NodePort"))
    node_port = _json(cluster, "service", name)["spec"]["ports"][0]["nodePort"]
    host_ip = _host_address()

    def get() -> str | None:
        try:
            with NO_PROXY.open(f"http://{host_ip}:{node_port}/", timeout=3) as r:
                return str(r.read().decode().strip())
        except OSError:
            return None

    answers = {wait_for(get, "the NodePort to answer", timeout=30) for _ in range(12)}
    assert answers <= set(served.pods()) and answers
    # from a pod, at the node's InternalIP (what the NodePort conformance specs dial)
    node = _json(cluster, "nodes")["items"][0]
    (internal,) = [a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"]
    assert not internal.startswith("127."), node["status"]["addresses"]
    from_pod = served.fetch(internal, node_port, 12)
    assert set(from_pod) <= set(served.pods()) and from_pod, from_pod
    cluster.kubectl("delete", "service", name)


def _host_address() -> str:
    links = json.loads(subprocess.run(["ip", "-j", "-4", "addr"], capture_output=True, text=True).stdout)
    return next(a["local"] for link in links for a in link["addr_info"] if a.get("scope") == "global")


@pytest.mark.proxy_modes("iptables", "nftables")  # the userspace relay accepts, then closes
def test_a_service_without_endpoints_refuses_connections(cluster: UpCluster, served: Web, proxy: Proxy):
    name = f"{served.name}-none-{proxy.mode[:3]}"
    _apply(cluster, _service(name, "nothing-has-this-label"))
    ip = _json(cluster, "service", name)["spec"]["clusterIP"]
    refused = [f"nc: can't connect to remote host ({ip}): Connection refused"]
    wait_for(lambda: served.fetch(ip, 80, 1) == refused, "connections to be refused", timeout=30)
    cluster.kubectl("delete", "service", name)


@pytest.mark.proxy_modes("iptables")
def test_an_address_in_the_service_range_that_no_service_holds_is_unreachable(served: Web, proxy: Proxy):
    routes = subprocess.run(["ip", "route", "show", "table", TABLE], capture_output=True, text=True).stdout
    assert routes.startswith("unreachable 10.96.0.0/12")
    assert served.fetch("10.111.222.33", 80, 1) == [
        "nc: can't connect to remote host (10.111.222.33): No route to host"
    ]


def test_a_backend_taken_out_of_the_service_is_never_hit_after_the_update(
    cluster: UpCluster, served: Web, proxy: Proxy
):
    pods = served.pods()
    gone, gone_ip = sorted(pods.items())[0]
    changes = proxy.metric("kubeproxy_sync_proxy_rules_endpoint_changes_total")
    cluster.kubectl("label", "pod", gone, f"app={served.name}-out", "--overwrite")  # out, but still serving
    wait_for(
        lambda: (
            proxy.metric("kubeproxy_sync_proxy_rules_endpoint_changes_total") > changes and proxy.synced()
        ),
        "the proxy to sync the endpoint's removal",
        timeout=30,
    )
    answers = Counter(served.fetch(served.cluster_ip, 80, 30))
    assert gone not in answers and not any(a.startswith("nc:") for a in answers), answers
    assert served.fetch(gone_ip, 8080, 1) == [gone]  # it is alive: only the proxy avoids it
    cluster.kubectl("delete", "pod", gone, "--grace-period=0", "--force", "--wait=false", check=False)
    wait_for(lambda: len(served.pods()) == REPLICAS, "the replacement backend", timeout=60, interval=0.5)
