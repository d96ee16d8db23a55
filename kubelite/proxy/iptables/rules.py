"""kube-proxy's iptables rules for a set of service ports, as one iptables-restore input.

Pure: service ports and endpoints in, the text of one `iptables-restore --noflush` out.
The layout (what a packet to a ClusterIP, a NodePort or an external IP goes through):

    nat PREROUTING/OUTPUT ─▶ KUBE-SERVICES
        -d CLUSTER_IP --dport P ─▶ KUBE-SVC-X (or KUBE-SVL-X: internalTrafficPolicy Local)
        -d EXTERNAL_IP/LB_IP    ─▶ KUBE-EXT-X
        (last) local address    ─▶ KUBE-NODEPORTS ── --dport NODE_PORT ─▶ KUBE-EXT-X
    KUBE-EXT-X   Cluster policy: mark for masquerade, then KUBE-SVC-X; Local: pods and the
                 node itself go to KUBE-SVC-X, the rest to KUBE-SVL-X (source kept)
    KUBE-SVC-X   (off-cluster source ─▶ KUBE-MARK-MASQ), [ClientIP: recent --rcheck per
                 endpoint], then one rule per endpoint with statistic probability 1/n,
                 1/(n-1), ... so each of n endpoints gets 1/n of new connections
    KUBE-SEP-Y   from the endpoint itself (hairpin) ─▶ KUBE-MARK-MASQ; [recent --set];
                 DNAT --to-destination IP:PORT
    nat POSTROUTING ─▶ KUBE-POSTROUTING: marked packets (0x4000) are masqueraded
    filter: KUBE-SERVICES / KUBE-EXTERNAL-SERVICES REJECT a service without endpoints
            (DROP when only Local endpoints elsewhere), KUBE-FORWARD accepts marked and
            established traffic, KUBE-PROXY-FIREWALL drops LB traffic outside the ranges

A partial sync (`changed` given) writes KUBE-SERVICES and the filter chains whole (they
are declared, hence flushed, in every restore) but the per-service chains only for the
changed services; `--noflush` leaves the others as they are. Chains no longer used are
flushed and deleted (`-X`) in the same restore.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kubelite.proxy.changes import EndpointsMap, ServiceMap
from kubelite.proxy.iptables import names as n
from kubelite.proxy.model import Endpoint, ServicePort, categorize


@dataclass(frozen=True, slots=True)
class RulesConfig:
    cluster_cidr: str = ""  # --cluster-cidr: traffic from outside it is masqueraded
    masquerade_mark: str = "0x4000"  # 1 << --iptables-masquerade-bit (14)
    masquerade_all: bool = False
    node_ips: tuple[str, ...] = ()  # --nodeport-addresses resolved; (): every local address


@dataclass(slots=True)
class RuleSet:
    filter_chains: list[str] = field(default_factory=list)
    filter_rules: list[str] = field(default_factory=list)
    nat_chains: list[str] = field(default_factory=list)
    nat_rules: list[str] = field(default_factory=list)
    active_nat_chains: set[str] = field(default_factory=set)
    no_local_internal: int = 0  # service ports with Local policy but no local endpoint
    no_local_external: int = 0
    service_rules: dict[str, int] = field(default_factory=dict)  # service key -> rules of its chains written

    def text(self) -> str:
        parts = ["*filter", *self.filter_chains, *self.filter_rules, "COMMIT"]
        parts += [*table_header("nat", len(self.nat_chains)), *self.nat_chains, *self.nat_rules, "COMMIT", ""]
        return "\n".join(parts)

    def rules_count(self, table: str) -> int:
        return len(self.nat_rules if table == "nat" else self.filter_rules)


# A restore naming at least this many chains of a table has iptables read that whole table
# first (see table_header); below, it reads only the chains named, which keeps partial syncs
# of a large table small.
WHOLE_TABLE_CHAINS = 256


def table_header(table: str, chains: int) -> list[str]:
    """The lines opening `table` in a restore that declares `chains` chains. Many chains:
    a listing (`-S`, its output unused) first, which makes iptables-nft read the whole table
    at once instead of inserting each chain the input names into a sorted list, one by one -
    with 11,000 chains that took 8 s of the restore's 9 (iptables 1.8.9), deleting 55,000
    chains six minutes."""
    return [f"*{table}", "-S"] if chains >= WHOLE_TABLE_CHAINS else [f"*{table}"]


def _chain(name: str) -> str:
    return f":{name} - [0:0]"


def _q(text: str) -> str:
    return f'"{text}"'


def _c(text: str) -> str:
    return f'-m comment --comment "{text}"'


def build(
    services: ServiceMap,
    endpoints: EndpointsMap,
    config: RulesConfig,
    *,
    changed: frozenset[str] | None = None,
    existing_chains: Iterable[str] = (),
) -> RuleSet:
    """The rules for `services`; with `changed`, a partial sync writing only those
    services' own chains; `existing_chains` (the nat table's now) are deleted if unused."""
    rs = RuleSet()
    rs.filter_chains += map(
        _chain,
        (n.KUBE_SERVICES, n.KUBE_EXTERNAL_SERVICES, n.KUBE_FORWARD, n.KUBE_NODEPORTS, n.KUBE_PROXY_FIREWALL),
    )
    rs.nat_chains += map(_chain, (n.KUBE_SERVICES, n.KUBE_NODEPORTS, n.KUBE_POSTROUTING, n.KUBE_MARK_MASQ))
    _write_masquerade(rs, config)
    for name in sorted(services):
        svc = services[name]
        skip = changed is not None and name.service not in changed
        _ServiceWriter(rs, svc, endpoints.get(name, ()), config, write_chains=not skip).write()
    for chain in sorted(set(existing_chains) - rs.active_nat_chains):
        if n.is_service_chain(chain):
            rs.nat_chains.append(_chain(chain))
            rs.nat_rules.append(f"-X {chain}")
    _write_nodeports_jump(rs, config)
    _write_forward(rs, config)
    return rs


def _write_masquerade(rs: RuleSet, config: RulesConfig) -> None:
    mark = config.masquerade_mark
    rs.nat_rules += [
        f"-A {n.KUBE_POSTROUTING} -m mark ! --mark {mark}/{mark} -j RETURN",
        f"-A {n.KUBE_POSTROUTING} -j MARK --xor-mark {mark}",
        f'-A {n.KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" '
        "-j MASQUERADE --random-fully",
        f"-A {n.KUBE_MARK_MASQ} -j MARK --or-mark {mark}",
    ]


def _write_nodeports_jump(rs: RuleSet, config: RulesConfig) -> None:
    comment = (
        '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"'
    )
    if not config.node_ips:
        # Loopback excluded: kubelite does not set route_localnet (see docs/compatibility.md).
        rs.nat_rules.append(
            f"-A {n.KUBE_SERVICES} {comment} -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 "
            f"-j {n.KUBE_NODEPORTS}"
        )
        return
    for ip in config.node_ips:
        if not ip.startswith("127."):
            rs.nat_rules.append(f"-A {n.KUBE_SERVICES} {comment} -d {ip} -j {n.KUBE_NODEPORTS}")


def _write_forward(rs: RuleSet, config: RulesConfig) -> None:
    mark = config.masquerade_mark
    rs.filter_rules += [
        f"-A {n.KUBE_FORWARD} -m conntrack --ctstate INVALID -j DROP",
        f"-A {n.KUBE_FORWARD} {_c('kubernetes forwarding rules')} -m mark --mark {mark}/{mark} -j ACCEPT",
        f'-A {n.KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" '
        "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    ]


class _ServiceWriter:
    """The rules of one service port: the entry rules (always) and its own chains."""

    def __init__(
        self,
        rs: RuleSet,
        svc: ServicePort,
        eps: tuple[Endpoint, ...],
        config: RulesConfig,
        *,
        write_chains: bool,
    ) -> None:
        self.rs, self.svc, self.config, self.write_chains = rs, svc, config, write_chains
        self.cat = categorize(list(eps), svc)
        self.label = str(svc.name)
        proto = svc.protocol
        self.svc_chain = n.service_chain(self.label, proto)
        self.local_chain = n.local_chain(self.label, proto)
        self.ext_chain = n.external_chain(self.label, proto)
        self.fw_chain = n.firewall_chain(self.label, proto)
        self.proto = proto.lower()
        self.match = f"-m {self.proto} -p {self.proto}"
        self.has_internal = self.cat.has_any and not (svc.internal_policy_local and not self.cat.local)
        self.has_external = self.cat.has_any and not (svc.external_policy_local and not self.cat.local)
        self.internal_chain = self.local_chain if svc.internal_policy_local else self.svc_chain
        self.external_policy_chain = self.local_chain if svc.external_policy_local else self.svc_chain
        self.uses_ext = self.cat.has_any and svc.externally_accessible()
        self.uses_fw = self.cat.has_any and bool(svc.load_balancer_ips and svc.load_balancer_source_ranges)

    def write(self) -> None:
        self._mark_active()
        self._entry_rules()
        if self.write_chains:
            before = len(self.rs.nat_rules)
            self._service_chains()
            key = self.svc.name.service
            self.rs.service_rules[key] = self.rs.service_rules.get(key, 0) + len(self.rs.nat_rules) - before

    def _mark_active(self) -> None:
        active = self.rs.active_nat_chains
        active.update(n.endpoint_chain(self.label, self.svc.protocol, e.address) for e in self.cat.reachable)
        if self.cat.cluster and self.svc.uses_cluster_endpoints():
            active.add(self.svc_chain)
        if self.cat.local and self.svc.uses_local_endpoints():
            active.add(self.local_chain)
        if self.uses_ext:
            active.add(self.ext_chain)
        if self.uses_fw:
            active.add(self.fw_chain)
        if not self.has_internal and self.svc.internal_policy_local and self.cat.has_any:
            self.rs.no_local_internal += 1
        if not self.has_external and self.svc.external_policy_local and self.cat.has_any:
            self.rs.no_local_external += 1

    def _reject(self, internal: bool) -> tuple[str, str]:
        if not self.cat.has_any:
            return "REJECT", _q(f"{self.label} has no endpoints")
        return "DROP", _q(f"{self.label} has no local endpoints")

    def _entry_rules(self) -> None:
        svc, rs, match = self.svc, self.rs, self.match
        dest = f"-d {svc.cluster_ip} --dport {svc.port}"
        if self.has_internal:
            rs.nat_rules.append(
                f"-A {n.KUBE_SERVICES} -m comment --comment {_q(self.label + ' cluster IP')} {match} {dest} "
                f"-j {self.internal_chain}"
            )
        else:
            target, comment = self._reject(True)
            rs.filter_rules.append(
                f"-A {n.KUBE_SERVICES} -m comment --comment {comment} {match} {dest} -j {target}"
            )
        ext_target, ext_comment = self._reject(False)
        for ip, what in [
            *((i, "external IP") for i in svc.external_ips),
            *((i, "loadbalancer IP") for i in svc.load_balancer_ips),
        ]:
            if self.cat.has_any:
                target = self.fw_chain if what == "loadbalancer IP" and self.uses_fw else self.ext_chain
                rs.nat_rules.append(
                    f"-A {n.KUBE_SERVICES} -m comment --comment {_q(f'{self.label} {what}')} {match} "
                    f"-d {ip} --dport {svc.port} -j {target}"
                )
            if what == "loadbalancer IP" and self.uses_fw:
                rs.filter_rules.append(
                    f"-A {n.KUBE_PROXY_FIREWALL} -m comment --comment "
                    f"{_q(f'{self.label} traffic not accepted by {self.fw_chain}')} {match} "
                    f"-d {ip} --dport {svc.port} -j DROP"
                )
            if not self.has_external:
                rs.filter_rules.append(
                    f"-A {n.KUBE_EXTERNAL_SERVICES} -m comment --comment {ext_comment} {match} "
                    f"-d {ip} --dport {svc.port} -j {ext_target}"
                )
        self._nodeport_rules(ext_target, ext_comment)

    def _nodeport_rules(self, ext_target: str, ext_comment: str) -> None:
        svc, rs, match = self.svc, self.rs, self.match
        if svc.node_port:
            if self.cat.has_any:
                rs.nat_rules.append(
                    f"-A {n.KUBE_NODEPORTS} -m comment --comment {self.label} {match} "
                    f"--dport {svc.node_port} -j {self.ext_chain}"
                )
            if not self.has_external:
                rs.filter_rules.append(
                    f"-A {n.KUBE_EXTERNAL_SERVICES} -m comment --comment {ext_comment} "
                    f"-m addrtype --dst-type LOCAL {match} --dport {svc.node_port} -j {ext_target}"
                )
        if svc.health_check_node_port:
            rs.filter_rules.append(
                f"-A {n.KUBE_NODEPORTS} -m comment --comment {_q(self.label + ' health check node port')} "
                f"-m tcp -p tcp --dport {svc.health_check_node_port} -j ACCEPT"
            )

    # ---- the service's own chains (skipped for unchanged services in a partial sync) ----

    def _service_chains(self) -> None:
        svc, rs = self.svc, self.rs
        if self.has_internal:
            args = (
                f"-m comment --comment {_q(self.label + ' cluster IP')} {self.match} "
                f"-d {svc.cluster_ip} --dport {svc.port}"
            )
            if self.config.masquerade_all:
                rs.nat_rules.append(f"-A {self.internal_chain} {args} -j {n.KUBE_MARK_MASQ}")
            elif self.config.cluster_cidr:
                rs.nat_rules.append(
                    f"-A {self.internal_chain} {args} ! -s {self.config.cluster_cidr} -j {n.KUBE_MARK_MASQ}"
                )
        if self.uses_ext:
            self._external_chain()
        if self.uses_fw:
            self._firewall_chain()
        if self.cat.cluster and svc.uses_cluster_endpoints():
            self._dispatch(self.svc_chain, self.cat.cluster)
        if self.cat.local and svc.uses_local_endpoints():
            self._dispatch(self.local_chain, self.cat.local)
        for e in self.cat.reachable:
            self._endpoint_chain(e)

    def _external_chain(self) -> None:
        rs, chain, label = self.rs, self.ext_chain, self.label
        rs.nat_chains.append(_chain(chain))
        if not self.svc.external_policy_local:
            rs.nat_rules.append(
                f"-A {chain} {_c(f'masquerade traffic for {label} external destinations')} "
                f"-j {n.KUBE_MARK_MASQ}"
            )
        else:
            if self.config.cluster_cidr:
                rs.nat_rules.append(
                    f"-A {chain} -m comment --comment {_q(f'pod traffic for {label} external destinations')} "
                    f"-s {self.config.cluster_cidr} -j {self.svc_chain}"
                )
            rs.nat_rules.append(
                f"-A {chain} {_c(f'masquerade LOCAL traffic for {label} external destinations')} "
                f"-m addrtype --src-type LOCAL -j {n.KUBE_MARK_MASQ}"
            )
            rs.nat_rules.append(
                f"-A {chain} {_c(f'route LOCAL traffic for {label} external destinations')} "
                f"-m addrtype --src-type LOCAL -j {self.svc_chain}"
            )
        if self.has_external:
            rs.nat_rules.append(f"-A {chain} -j {self.external_policy_chain}")

    def _firewall_chain(self) -> None:
        rs, chain = self.rs, self.fw_chain
        rs.nat_chains.append(_chain(chain))
        comment = f"-m comment --comment {_q(self.label + ' loadbalancer IP')}"
        for src in self.svc.load_balancer_source_ranges:
            rs.nat_rules.append(f"-A {chain} {comment} -s {src} -j {self.ext_chain}")
        rs.nat_rules.append(
            f"-A {chain} -m comment --comment "
            f"{_q(f'other traffic to {self.label} will be dropped by KUBE-PROXY-FIREWALL')}"
        )

    def _dispatch(self, chain: str, eps: tuple[Endpoint, ...]) -> None:
        """KUBE-SVC/SVL: affinity checks first, then a random choice among `eps`."""
        rs, label, proto = self.rs, self.label, self.svc.protocol
        rs.nat_chains.append(_chain(chain))
        sep = [n.endpoint_chain(label, proto, e.address) for e in eps]
        if self.svc.session_affinity_seconds:
            for e, target in zip(eps, sep, strict=True):
                rs.nat_rules.append(
                    f"-A {chain} {_c(f'{label} -> {e.address}')} -m recent --name {target} "
                    f"--rcheck --seconds {self.svc.session_affinity_seconds} --reap -j {target}"
                )
        count = len(eps)
        for i, (e, target) in enumerate(zip(eps, sep, strict=True)):
            stat = (
                f" -m statistic --mode random --probability {1.0 / (count - i):0.10f}"
                if i < count - 1
                else ""
            )
            rs.nat_rules.append(
                f"-A {chain} -m comment --comment {_q(f'{label} -> {e.address}')}{stat} -j {target}"
            )

    def _endpoint_chain(self, e: Endpoint) -> None:
        rs, label = self.rs, self.label
        chain = n.endpoint_chain(label, self.svc.protocol, e.address)
        rs.nat_chains.append(_chain(chain))
        rs.nat_rules.append(f"-A {chain} -m comment --comment {label} -s {e.ip} -j {n.KUBE_MARK_MASQ}")
        recent = f" -m recent --name {chain} --set" if self.svc.session_affinity_seconds else ""
        rs.nat_rules.append(
            f"-A {chain} -m comment --comment {label}{recent} {self.match} "
            f"-j DNAT --to-destination {e.address}"
        )
