"""The chain names of kube-proxy's iptables mode, computed as kube-proxy computes them.

Per service port (`ns/name:port` + lower-case protocol, SHA-256, base32, first 16 chars):

    KUBE-SVC-<hash>   Cluster traffic policy: picks an endpoint at random
    KUBE-SVL-<hash>   Local traffic policy: picks a local endpoint
    KUBE-EXT-<hash>   external traffic (NodePort, external/LB IPs): masquerade, then SVC/SVL
    KUBE-FW-<hash>    load balancer source ranges
Per endpoint (the same, with `ip:port` appended to the hashed text):
    KUBE-SEP-<hash>   DNAT to one endpoint (and the ClientIP affinity record)

The fixed chains: KUBE-SERVICES, KUBE-NODEPORTS, KUBE-POSTROUTING, KUBE-MARK-MASQ (nat);
KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, KUBE-NODEPORTS, KUBE-FORWARD, KUBE-PROXY-FIREWALL
(filter).
"""

from __future__ import annotations

import base64
import hashlib

KUBE_SERVICES = "KUBE-SERVICES"
KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES"
KUBE_NODEPORTS = "KUBE-NODEPORTS"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
KUBE_FORWARD = "KUBE-FORWARD"
KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL"

SERVICE_CHAIN_PREFIXES = ("KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-")


def _hash(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def port_proto_hash(service_port: str, protocol: str) -> str:
    return _hash(service_port + protocol.lower())


def service_chain(service_port: str, protocol: str) -> str:
    return "KUBE-SVC-" + port_proto_hash(service_port, protocol)


def local_chain(service_port: str, protocol: str) -> str:
    return "KUBE-SVL-" + port_proto_hash(service_port, protocol)


def external_chain(service_port: str, protocol: str) -> str:
    return "KUBE-EXT-" + port_proto_hash(service_port, protocol)


def firewall_chain(service_port: str, protocol: str) -> str:
    return "KUBE-FW-" + port_proto_hash(service_port, protocol)


def endpoint_chain(service_port: str, protocol: str, endpoint: str) -> str:
    return "KUBE-SEP-" + _hash(service_port + protocol.lower() + endpoint)


def is_service_chain(name: str) -> bool:
    return name.startswith(SERVICE_CHAIN_PREFIXES)
