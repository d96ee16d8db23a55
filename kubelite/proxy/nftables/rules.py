"""kube-proxy's nftables ruleset (1.31) for a set of service ports, as one `nft -f` input.

One table, `ip kube-proxy`, owned whole by the proxy, so a sync can replace it atomically
(`add table; delete table; table { ... }` in one transaction):

    base chains    filter-prerouting/-input/-forward/-output (dstnat-10 = -110),
                   filter-output-post-dnat (dstnat+10), nat-prerouting/-output (dstnat),
                   nat-postrouting (srcnat); numeric priorities, which every nft accepts
    jumps          nat-prerouting, nat-output ─▶ services;  nat-postrouting ─▶ masquerading;
                   filter-input/-forward/-output (ct state new) ─▶ service-endpoints-check,
                   filter-input ─▶ nodeport-endpoints-check,
                   filter-forward/-output-post-dnat ─▶ cluster-ips-check
    services       ip daddr . meta l4proto . th dport vmap @service-ips
                   fib daddr type local ... vmap @service-nodeports   (NodePorts)
    service-<h>-<ns>/<name>/<proto>/<port>   masquerade off-cluster sources, then
                   numgen random mod N vmap { 0 : goto endpoint-..., ... } (after ClientIP
                   affinity: ip saddr @affinity-<h>-... goto endpoint-...)
    external-<h>-...   NodePort traffic: mark for masquerade, then the service chain
    endpoint-<h>-<ns>/<name>/<proto>/<port>__<ip>/<port>   hairpin masquerade, dnat
    no-endpoint-services / no-endpoint-nodeports maps   goto reject-chain (reject)
    cluster-ips set, cluster-ips-check   reject other ports of a ClusterIP, drop
                   unallocated addresses of the Services' range

Chain name hashes as kube-proxy's: base32(sha256(`ns/name/proto/port`))[:8].
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

from kubelite.proxy.changes import EndpointsMap, ServiceMap
from kubelite.proxy.model import Endpoint, ServicePort, categorize

TABLE = "kube-proxy"
BASE_CHAINS = (
    ("filter-prerouting", "filter", "prerouting", "-110"),
    ("filter-input", "filter", "input", "-110"),
    ("filter-forward", "filter", "forward", "-110"),
    ("filter-output", "filter", "output", "-110"),
    ("filter-output-post-dnat", "filter", "output", "-90"),
    ("nat-prerouting", "nat", "prerouting", "-100"),
    ("nat-output", "nat", "output", "-100"),
    ("nat-postrouting", "nat", "postrouting", "100"),
)
JUMPS = (
    ("filter-input", "nodeport-endpoints-check", "ct state new"),
    ("filter-input", "service-endpoints-check", "ct state new"),
    ("filter-forward", "service-endpoints-check", "ct state new"),
    ("filter-output", "service-endpoints-check", "ct state new"),
    ("filter-forward", "cluster-ips-check", "ct state new"),
    ("filter-output-post-dnat", "cluster-ips-check", "ct state new"),
    ("nat-output", "services", ""),
    ("nat-prerouting", "services", ""),
    ("nat-postrouting", "masquerading", ""),
)


@dataclass(frozen=True, slots=True)
class NftConfig:
    cluster_cidr: str = ""
    service_cidr: str = "10.96.0.0/12"
    masquerade_mark: str = "0x4000"
    masquerade_all: bool = False
    node_ips: tuple[str, ...] = ()


def _hash(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:8]


def chain_base(svc: ServicePort) -> str:
    """`ns/name/proto/port`, the readable part of the service's chain names."""
    n = svc.name
    return f"{n.namespace}/{n.name}/{n.protocol.lower()}/{n.port}"


def service_chain(svc: ServicePort) -> str:
    base = chain_base(svc)
    return f"service-{_hash(base)}-{base}"


def local_chain(svc: ServicePort) -> str:
    base = chain_base(svc)
    return f"local-{_hash(base)}-{base}"


def external_chain(svc: ServicePort) -> str:
    base = chain_base(svc)
    return f"external-{_hash(base)}-{base}"


def endpoint_chain(svc: ServicePort, ep: Endpoint) -> str:
    base = f"{chain_base(svc)}__{ep.ip}/{ep.port}"
    return f"endpoint-{_hash(base)}-{base}"


def affinity_set(svc: ServicePort, ep: Endpoint) -> str:
    base = f"{chain_base(svc)}__{ep.ip}/{ep.port}"
    return f"affinity-{_hash(base)}-{base}"


@dataclass(slots=True)
class ServiceParts:
    """What one Service (all its ports) adds to the table: a partial sync replaces exactly
    these for the services that changed."""

    chains: dict[str, list[str]] = field(default_factory=dict)  # name -> its rules
    sets: dict[str, str] = field(default_factory=dict)  # name -> "{ type ...; }"
    elements: dict[str, list[str]] = field(default_factory=dict)  # map -> "key : verdict"

    def chain(self, name: str, *rules: str) -> None:
        self.chains[name] = list(rules)

    def element(self, map_name: str, item: str) -> None:
        self.elements.setdefault(map_name, []).append(item)


@dataclass(slots=True)
class Ruleset:
    lines: list[str] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)  # every chain, in order
    rules: int = 0
    parts: dict[str, ServiceParts] = field(default_factory=dict)  # service key -> its parts
    cluster_ips: list[str] = field(default_factory=list)

    def chain(self, name: str, *rules: str, head: str = "") -> None:
        self.chains.append(name)
        self.lines.append(f"\tchain {name} {{")
        if head:
            self.lines.append(f"\t\t{head}")
        self.lines += [f"\t\t{r}" for r in rules]
        self.lines.append("\t}")
        self.rules += len(rules)

    def text(self) -> str:
        return "\n".join(
            [
                f"add table ip {TABLE}",
                f"delete table ip {TABLE}",
                f"table ip {TABLE} {{",
                *self.lines,
                "}",
                "",
            ]
        )


def _q(name: str) -> str:
    return name  # nft identifiers: a letter, then letters, digits and / - _ . (no quoting)


def _elements(items: list[str]) -> str:
    return f" elements = {{ {', '.join(items)} }}" if items else ""


def build(services: ServiceMap, endpoints: EndpointsMap, config: NftConfig) -> Ruleset:
    rs = Ruleset()
    rs.lines.append('\tcomment "rules for kube-proxy"')
    for name, kind, hook, priority in BASE_CHAINS:
        jumps = [f"{match} jump {target}".strip() for chain, target, match in JUMPS if chain == name]
        rs.chain(name, *jumps, head=f"type {kind} hook {hook} priority {priority}; policy accept;")
    mark = config.masquerade_mark
    rs.chain("mark-for-masquerade", f"mark set mark or {mark}")
    rs.chain(
        "masquerading", f"mark and {mark} == 0 return", f"mark set mark xor {mark}", "masquerade fully-random"
    )
    rs.chain("reject-chain", 'reject comment "helper for @no-endpoint-services / @no-endpoint-nodeports"')
    for port_name in sorted(services):
        parts = rs.parts.setdefault(port_name.service, ServiceParts())
        _service(parts, services[port_name], list(endpoints.get(port_name, ())), config)
    maps: dict[str, list[str]] = {}
    for parts in rs.parts.values():
        for name, spec in parts.sets.items():
            rs.lines.append(f"\tset {name} {spec}")
        for name, rules in parts.chains.items():
            rs.chain(name, *rules)
        for map_name, items in parts.elements.items():
            maps.setdefault(map_name, []).extend(items)
    rs.cluster_ips = sorted({s.cluster_ip for s in services.values()})
    _write_maps(rs, maps)
    _top_chains(rs, config)
    return rs


def partial(
    old: dict[str, ServiceParts],
    new: dict[str, ServiceParts],
    changed: frozenset[str],
    cluster_ips: list[str],
) -> tuple[str, int]:
    """The transaction replacing the parts of the `changed` services (old -> new) in the
    table a previous sync wrote, and how many rules it adds."""
    t = f"ip {TABLE}"
    drop: list[str] = []
    delete: list[str] = []
    add: list[str] = []
    rules = 0
    for key in sorted(changed):
        before, after = old.get(key, ServiceParts()), new.get(key, ServiceParts())
        for map_name, items in before.elements.items():
            drop += [f"delete element {t} {map_name} {{ {item.split(' : ')[0]} }}" for item in items]
        drop += [f"flush chain {t} {name}" for name in before.chains]
        delete += [f"delete chain {t} {name}" for name in before.chains if name not in after.chains]
        delete += [
            f"delete set {t} {name}" for name, spec in before.sets.items() if after.sets.get(name) != spec
        ]
        add += [
            f"add set {t} {name} {spec}" for name, spec in after.sets.items() if before.sets.get(name) != spec
        ]
        add += [f"add chain {t} {name}" for name in after.chains]
        for name, chain_rules in after.chains.items():
            add += [f"add rule {t} {name} {rule}" for rule in chain_rules]
            rules += len(chain_rules)
        for map_name, items in after.elements.items():
            add += [f"add element {t} {map_name} {{ {item} }}" for item in items]
    ips = f"add element {t} cluster-ips {{ {', '.join(cluster_ips)} }}" if cluster_ips else ""
    return "\n".join([*drop, *delete, *add, f"flush set {t} cluster-ips", ips, ""]), rules


def _service(parts: ServiceParts, svc: ServicePort, eps: list[Endpoint], config: NftConfig) -> None:
    cat = categorize(eps, svc)
    proto = svc.protocol.lower()
    internal = local_chain(svc) if svc.internal_policy_local else service_chain(svc)
    key = f"{svc.cluster_ip} . {proto} . {svc.port}"
    has_internal = cat.has_any and not (svc.internal_policy_local and not cat.local)
    if has_internal:
        parts.element("service-ips", f"{key} : goto {_q(internal)}")
    else:
        parts.element("no-endpoint-services", f"{key} : {'goto reject-chain' if not cat.has_any else 'drop'}")
    if svc.node_port:
        np_key = f"{proto} . {svc.node_port}"
        if cat.has_any:
            parts.element("service-nodeports", f"{np_key} : goto {_q(external_chain(svc))}")
        if not cat.has_any or (svc.external_policy_local and not cat.local):
            parts.element(
                "no-endpoint-nodeports", f"{np_key} : {'goto reject-chain' if not cat.has_any else 'drop'}"
            )
    if cat.has_any and svc.externally_accessible():
        target = local_chain(svc) if svc.external_policy_local and cat.local else service_chain(svc)
        masq = (
            []
            if svc.external_policy_local
            else ['jump mark-for-masquerade comment "masquerade traffic for external destinations"']
        )
        parts.chain(external_chain(svc), *masq, f"goto {_q(target)}")
    if cat.cluster and svc.uses_cluster_endpoints():
        _dispatch(
            parts, service_chain(svc), svc, cat.cluster, config, masquerade=not svc.internal_policy_local
        )
    if cat.local and svc.uses_local_endpoints():
        _dispatch(parts, local_chain(svc), svc, cat.local, config, masquerade=svc.internal_policy_local)
    for ep in cat.reachable:
        _endpoint(parts, svc, ep)


def _dispatch(
    parts: ServiceParts,
    chain: str,
    svc: ServicePort,
    eps: tuple[Endpoint, ...],
    config: NftConfig,
    *,
    masquerade: bool,
) -> None:
    proto = svc.protocol.lower()
    rules = []
    if masquerade and config.masquerade_all:
        rules.append(f"ip daddr {svc.cluster_ip} {proto} dport {svc.port} jump mark-for-masquerade")
    elif masquerade and config.cluster_cidr:
        rules.append(
            f"ip daddr {svc.cluster_ip} {proto} dport {svc.port} ip saddr != {config.cluster_cidr} "
            "jump mark-for-masquerade"
        )
    if svc.session_affinity_seconds:
        rules += [f"ip saddr @{_q(affinity_set(svc, e))} goto {_q(endpoint_chain(svc, e))}" for e in eps]
    vmap = ", ".join(f"{i} : goto {_q(endpoint_chain(svc, e))}" for i, e in enumerate(eps))
    rules.append(f"numgen random mod {len(eps)} vmap {{ {vmap} }}")
    parts.chain(chain, *rules)


def _endpoint(parts: ServiceParts, svc: ServicePort, ep: Endpoint) -> None:
    rules = [f"ip saddr {ep.ip} jump mark-for-masquerade"]
    if svc.session_affinity_seconds:
        name = affinity_set(svc, ep)
        parts.sets[name] = (
            f"{{ type ipv4_addr; flags dynamic,timeout; timeout {svc.session_affinity_seconds}s; }}"
        )
        rules.append(f"update @{_q(name)} {{ ip saddr }}")
    rules.append(f"meta l4proto {svc.protocol.lower()} dnat to {ep.ip}:{ep.port}")
    parts.chain(endpoint_chain(svc, ep), *rules)


def _write_maps(rs: Ruleset, maps: dict[str, list[str]]) -> None:
    ip_proto_port = "type ipv4_addr . inet_proto . inet_service : verdict;"
    proto_port = "type inet_proto . inet_service : verdict;"
    for name, kind in (
        ("service-ips", ip_proto_port),
        ("service-nodeports", proto_port),
        ("no-endpoint-services", ip_proto_port),
        ("no-endpoint-nodeports", proto_port),
    ):
        rs.lines.append(f"\tmap {name} {{ {kind}{_elements(maps.get(name, []))} }}")
    rs.lines.append(f"\tset cluster-ips {{ type ipv4_addr;{_elements(rs.cluster_ips)} }}")


def _top_chains(rs: Ruleset, config: NftConfig) -> None:
    local = "fib daddr type local ip daddr != 127.0.0.0/8"
    nodeports = (
        [f"{local} meta l4proto . th dport vmap @service-nodeports"]
        if not config.node_ips
        else [f"ip daddr {ip} meta l4proto . th dport vmap @service-nodeports" for ip in config.node_ips]
    )
    rs.chain("services", "ip daddr . meta l4proto . th dport vmap @service-ips", *nodeports)
    rs.chain("service-endpoints-check", "ip daddr . meta l4proto . th dport vmap @no-endpoint-services")
    rs.chain("nodeport-endpoints-check", f"{local} meta l4proto . th dport vmap @no-endpoint-nodeports")
    rs.chain(
        "cluster-ips-check",
        'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"',
        f'ip daddr {config.service_cidr} drop comment "Drop traffic to unallocated ClusterIPs"',
    )
