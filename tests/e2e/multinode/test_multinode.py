"""Three real nodes on one machine (`kubelite up --nodes 3`), through the real kubectl: each
node's pods get IPs from its own podCIDR; pods reach pods on the other nodes by IP (ping and
HTTP), routed host-gateway style from the Node objects; the host reaches every pod; a
Service's name resolves through cluster DNS on any node and its ClusterIP reaches its pods on
every node through each node's proxy, its NodePort answers on every node address; a pod fetches
from a Deployment on the two other nodes through the Service's name, short (the search path)
or whole; a headless Service resolves to its pods, a StatefulSet pod's stable name to its pod,
an ExternalName Service to its CNAME; exec and
logs reach a pod on an extra node through its kubelet on the node's address; a node (each
extra node is a `kubelite node join` that `up` supervises) is removed cleanly and not
started again; and once `up` stops nothing it made is left."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import urllib.request
from typing import Any

import pytest

from kubelite.hostgw.routes import PROTOCOL
from kubelite.server.nodenet import NodeNetwork
from kubelite.util.testing import wait_for

from .conftest import MultiNode

PORT = 8080


def _nodes(m: MultiNode) -> dict[str, Any]:
    items = json.loads(m.up.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    return {n["metadata"]["name"]: n for n in items}


def _by_address(m: MultiNode) -> list[str]:
    """The node names in the order of their InternalIPs: the local node (the host's) first."""

    def address(node: dict[str, Any]) -> ipaddress.IPv4Address:
        ips = [a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"]
        return ipaddress.IPv4Address(ips[0])

    return [name for name, node in sorted(_nodes(m).items(), key=lambda item: address(item[1]))]


def _network(m: MultiNode) -> NodeNetwork:
    return NodeNetwork.load(m.data_dir / "nodes" / "network.json")


def _pod(name: str, node: str, image: str, script: str, role: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "multinode", "role": role}},
        "spec": {
            "nodeSelector": {"kubernetes.io/hostname": node},
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "main", "image": image, "command": ["sh", "-c", script]}],
        },
    }


@pytest.fixture(scope="module")
def pods(multinode: MultiNode, registry: str) -> dict[str, tuple[str, str]]:
    """An httpd pod on every node and a client pod on the local node and on an extra node:
    name -> (node, pod IP)."""
    image = f"{registry}/busybox:latest"
    nodes = _by_address(multinode)
    items = []
    for i, node in enumerate(nodes):
        www = f"mkdir -p /www && echo hello from {node} > /www/index.html && exec httpd -f -p {PORT} -h /www"
        items.append(_pod(f"web-{i}", node, image, www, "web"))
    items.append(_pod("client-0", nodes[0], image, "echo client ready; exec sleep 3600", "client"))
    items.append(_pod("client-1", nodes[1], image, "echo client ready; exec sleep 3600", "client"))
    _apply(multinode, *items)
    multinode.up.kubectl(
        "wait", "--for=condition=Ready", "pod", "-l", "app=multinode", "--timeout=120s", timeout=130
    )
    listed = json.loads(multinode.up.kubectl("get", "pods", "-l", "app=multinode", "-o", "json").stdout)[
        "items"
    ]
    return {p["metadata"]["name"]: (p["spec"]["nodeName"], p["status"]["podIP"]) for p in listed}


def test_three_nodes_are_ready_with_internal_ips_on_the_node_network(multinode: MultiNode):
    wide = multinode.up.kubectl("get", "nodes", "-o", "wide").stdout.splitlines()
    rows = [line.split() for line in wide[1:]]
    assert [r[1] for r in rows] == ["Ready"] * 3, wide
    net = multinode.node_network
    assert sorted(ipaddress.ip_address(r[5]) for r in rows) == [net[1], net[2], net[3]], wide


def test_each_nodes_pods_get_ips_from_its_pod_cidr(multinode: MultiNode, pods: dict[str, tuple[str, str]]):
    nodes = _nodes(multinode)
    cidrs = {name: ipaddress.ip_network(n["spec"]["podCIDR"]) for name, n in nodes.items()}
    assert all(c.subnet_of(multinode.cluster_cidr) for c in cidrs.values())
    assert len(set(cidrs.values())) == 3
    for name, (node, ip) in pods.items():
        assert ipaddress.ip_address(ip) in cidrs[node], (name, node, ip)
    assert {node for node, _ in pods.values()} == set(nodes)


@pytest.mark.parametrize("client", ["client-0", "client-1"])
def test_a_pod_reaches_pods_on_the_other_nodes_by_ip(
    multinode: MultiNode, pods: dict[str, tuple[str, str]], client: str
):
    client_node = pods[client][0]
    for web in ("web-0", "web-1", "web-2"):
        node, ip = pods[web]
        if node == client_node:
            continue
        ping = multinode.up.kubectl("exec", client, "--", "ping", "-c", "1", "-W", "5", ip, check=False)
        assert ping.returncode == 0, (client, web, ping.stdout, ping.stderr)
        # HTTP with nc: the busybox-static of Debian 12 crashes in wget (SIGSEGV, on any host)
        request = f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {ip} {PORT}"
        got = multinode.up.kubectl("exec", client, "--", "sh", "-c", request)
        assert got.stdout.startswith("HTTP/1.") and got.stdout.rstrip().endswith(f"hello from {node}"), (
            got.stdout
        )


def test_the_host_reaches_every_pod(pods: dict[str, tuple[str, str]]):
    for web in ("web-0", "web-1", "web-2"):
        node, ip = pods[web]
        with urllib.request.urlopen(f"http://{ip}:{PORT}/", timeout=5) as r:
            assert r.read().decode().strip() == f"hello from {node}"


@pytest.fixture(scope="module")
def web_service(multinode: MultiNode, pods: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A NodePort Service over the three web pods, once its endpoints list all three."""
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "type": "NodePort",
            "selector": {"role": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": PORT}],
        },
    }
    multinode.up.kubectl("apply", "-f", "-", input=json.dumps(service))

    def endpoints() -> bool:
        got = multinode.up.kubectl("get", "endpoints", "web", "-o", "json", check=False)
        subsets = json.loads(got.stdout or "{}").get("subsets") or [{}]
        return got.returncode == 0 and len(subsets[0].get("addresses") or []) == 3

    wait_for(endpoints, "the web Service's three endpoints", timeout=60, interval=0.5)
    return json.loads(multinode.up.kubectl("get", "service", "web", "-o", "json").stdout)


@pytest.mark.parametrize("client", ["client-0", "client-1"])
def test_a_service_name_resolves_on_any_node_and_its_cluster_ip_reaches_pods_on_every_node(
    multinode: MultiNode, pods: dict[str, tuple[str, str]], web_service: dict[str, Any], client: str
):
    cluster_ip = web_service["spec"]["clusterIP"]

    def resolves() -> bool:
        got = multinode.up.kubectl(
            "exec", client, "--", "nslookup", "web.default.svc.cluster.local", check=False
        )
        return got.returncode == 0 and cluster_ip in got.stdout

    wait_for(resolves, f"web.default.svc.cluster.local to resolve in {client}", timeout=60, interval=1)
    request = f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {cluster_ip} 80"
    loop = f"for i in $(seq 30); do {request} | tail -n 1; done"
    got = multinode.up.kubectl("exec", client, "--", "sh", "-c", loop)
    answered = {line.strip() for line in got.stdout.splitlines() if line.strip()}
    assert answered == {f"hello from {pods[w][0]}" for w in ("web-0", "web-1", "web-2")}, got.stdout


def test_a_node_port_answers_on_every_node_address(multinode: MultiNode, web_service: dict[str, Any]):
    node_port = web_service["spec"]["ports"][0]["nodePort"]
    for name, node in _nodes(multinode).items():
        (ip,) = [a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"]
        with urllib.request.urlopen(f"http://{ip}:{node_port}/", timeout=5) as r:
            assert r.read().decode().startswith("hello from "), (name, ip)


def _nslookup(m: MultiNode, client: str, name: str, expect: str) -> str:
    """`nslookup name` in `client` once its answer holds `expect` (the DNS server learns of a
    new Service or pod from its informers a moment after the API server has it)."""
    got: list[str] = []

    def answered() -> bool:
        out = m.up.kubectl("exec", client, "--", "nslookup", name, check=False)
        got[:] = [out.stdout + out.stderr]
        return out.returncode == 0 and expect in out.stdout

    wait_for(answered, f"{name} to resolve to {expect} in {client}", timeout=60, interval=1)
    return got[0]


def _apply(m: MultiNode, *items: dict[str, Any]) -> None:
    m.up.kubectl(
        "apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(items)})
    )


@pytest.fixture(scope="module")
def site(multinode: MultiNode, registry: str, pods: dict[str, tuple[str, str]]) -> list[str]:
    """A Deployment of two httpd pods kept off the local node and apart (required
    anti-affinity), each answering with its node's name, behind the ClusterIP Service
    `site`; returns the two nodes."""
    local = pods["client-0"][0]
    labels = {"app": "site"}
    www = 'mkdir -p /www && echo "site on $NODE" > /www/index.html && exec httpd -f -p 8080 -h /www'
    container = {
        "name": "httpd",
        "image": f"{registry}/busybox:latest",
        "command": ["sh", "-c", www],
        "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
    }
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": "kubernetes.io/hostname", "operator": "NotIn", "values": [local]}
                        ]
                    }
                ]
            }
        },
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}
            ]
        },
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "site"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"affinity": affinity, "terminationGracePeriodSeconds": 0, "containers": [container]},
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "site"},
        "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    }
    _apply(multinode, deployment, service)
    multinode.up.kubectl("rollout", "status", "deployment/site", "--timeout=120s", timeout=130)
    listed = json.loads(multinode.up.kubectl("get", "pods", "-l", "app=site", "-o", "json").stdout)["items"]
    return sorted(p["spec"]["nodeName"] for p in listed)


@pytest.mark.parametrize("name", ["site", "site.default", "site.default.svc.cluster.local"])
def test_a_pod_fetches_from_a_deployment_on_two_other_nodes_through_the_service_name(
    multinode: MultiNode, pods: dict[str, tuple[str, str]], site: list[str], name: str
):
    """`site` and `site.default` resolve through the pod's search path (its resolv.conf)."""
    assert len(set(site)) == 2 and pods["client-0"][0] not in site
    request = f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {name} 80 | tail -n 1"
    loop = f"for i in $(seq 30); do {request}; done"

    def both() -> bool:
        got = multinode.up.kubectl("exec", "client-0", "--", "sh", "-c", loop, check=False)
        return {line.strip() for line in got.stdout.splitlines() if line.strip()} == {
            f"site on {n}" for n in site
        }

    wait_for(both, f"both site pods to answer through {name}", timeout=60, interval=1)


def test_a_headless_service_resolves_to_its_pods_on_every_node(
    multinode: MultiNode, pods: dict[str, tuple[str, str]]
):
    headless = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web-pods"},
        "spec": {"clusterIP": "None", "selector": {"role": "web"}, "ports": [{"name": "http", "port": PORT}]},
    }
    _apply(multinode, headless)
    ips = [pods[w][1] for w in ("web-0", "web-1", "web-2")]
    out = _nslookup(multinode, "client-1", "web-pods.default.svc.cluster.local", ips[0])
    assert all(ip in out for ip in ips), out


def test_a_statefulset_pods_stable_name_resolves_to_it(multinode: MultiNode, registry: str):
    labels = {"app": "db"}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "db"},
        "spec": {"clusterIP": "None", "selector": labels, "ports": [{"name": "db", "port": 5432}]},
    }
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [
                        {"name": "db", "image": f"{registry}/busybox:latest", "command": ["sleep", "3600"]}
                    ],
                },
            },
        },
    }
    _apply(multinode, service, statefulset)
    multinode.up.kubectl("rollout", "status", "statefulset/db", "--timeout=120s", timeout=130)
    pod = json.loads(multinode.up.kubectl("get", "pod", "db-0", "-o", "json").stdout)
    assert pod["spec"]["hostname"] == "db-0" and pod["spec"]["subdomain"] == "db"
    _nslookup(multinode, "client-0", "db-0.db.default.svc.cluster.local", pod["status"]["podIP"])
    got = multinode.up.kubectl("exec", "db-0", "--", "hostname")
    assert got.stdout.strip() == "db-0"


def test_an_external_name_service_answers_with_its_cname(multinode: MultiNode, web_service: dict[str, Any]):
    external = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "elsewhere"},
        "spec": {"type": "ExternalName", "externalName": "web.default.svc.cluster.local"},
    }
    _apply(multinode, external)
    out = _nslookup(
        multinode, "client-1", "elsewhere.default.svc.cluster.local", "web.default.svc.cluster.local"
    )
    assert "canonical name = web.default.svc.cluster.local" in out, out
    assert web_service["spec"]["clusterIP"] in out, out  # the CNAME's own answer follows it


def test_logs_and_exec_reach_a_pod_on_an_extra_node(multinode: MultiNode, pods: dict[str, tuple[str, str]]):
    assert pods["client-1"][0] != pods["client-0"][0]
    assert multinode.up.kubectl("logs", "client-1").stdout == "client ready\n"
    got = multinode.up.kubectl("exec", "client-1", "--", "cat", "/etc/hostname")
    assert got.stdout.strip() == "client-1"


def _leftovers(net: NodeNetwork, names: list[str]) -> list[str]:
    """What of the given nodes' is still on the machine, and the cluster's routes and rules."""
    out = []
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
    for name in names:
        out += [f"netns {net.netns(name)}"] if net.netns(name) in namespaces else []
        out += (
            [f"veth {net.veth(name)}"]
            if net.veth(name) + " " in links or net.veth(name) + "@" in links
            else []
        )
    routes = subprocess.run(
        ["ip", "route", "show", "root", net.cluster_cidr, "proto", PROTOCOL], capture_output=True, text=True
    ).stdout.splitlines()
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout.splitlines()
    ours = (f"kubelite node network {net.cluster}", f"pod to pod without NAT in {net.cluster_cidr}")
    return out + [f"route {r}" for r in routes] + [f"rule {r}" for r in rules if any(o in r for o in ours)]


def test_a_node_of_up_is_removed_cleanly_and_not_started_again(multinode: MultiNode):
    net = _network(multinode)
    name = _by_address(multinode)[-1]
    cidr = _nodes(multinode)[name]["spec"]["podCIDR"]
    removed = subprocess.run(
        [sys.executable, "-m", "kubelite", "node", "remove", name, "--data-dir", str(multinode.data_dir)],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == f"node/{name} removed"
    assert name not in _nodes(multinode)
    assert [x for x in _leftovers(net, [name]) if x.startswith(("netns", "veth"))] == []
    wait_for(
        lambda: cidr not in subprocess.run(["ip", "route"], capture_output=True, text=True).stdout,
        "the route to the removed node's pods to go",
        timeout=30,
    )
    wait_for(
        lambda: f"node {name} is done" in multinode.up.log_path.read_text(errors="replace"),
        "up to let the removed node be",
        timeout=30,
    )


def test_stopping_up_leaves_no_namespace_veth_bridge_or_route(multinode: MultiNode):
    net = _network(multinode)
    names = _by_address(multinode)[1:]
    assert len(_leftovers(net, names)) > 2 * len(names)  # namespaces, veths and routes while up
    multinode.up.stop()
    assert _leftovers(net, names) == []
    links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
    assert multinode.bridge not in links
