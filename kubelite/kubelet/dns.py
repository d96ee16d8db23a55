"""A pod's DNS: the resolv.conf the kubelet asks the runtime to write, by dnsPolicy.

    ClusterFirst             nameserver: --cluster-dns; search: <ns>.svc.<domain>
    (ClusterFirstWithHostNet   svc.<domain> <domain>, then the host's search domains;
     for hostNetwork pods)     options: ndots:5 (the host's options are not kept)
    ClusterFirst, hostNetwork  as Default (the node's resolver is the pod's)
    Default                  the host's resolv.conf (--resolv-conf) as it is; with
                             --resolv-conf="" nameserver 127.0.0.1 and search "."
    None                     nothing but the pod's dnsConfig

Then the pod's dnsConfig is merged in (nameservers and searches appended without
duplicates, options by name, the pod's winning). The result is held to the resolver's
limits - 3 nameservers, 32 search domains of at most 253 characters and 2048 in all -
and what was cut is said in a Warning event `DNSConfigForming` on the pod. A ClusterFirst
pod on a kubelet without --cluster-dns falls back to Default, with a Warning event
`MissingClusterDNS` on both the node and the pod. The messages are Kubernetes'.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kubelite.api.types import Object

Recorder = Callable[[Object, str, str, str], None]  # (object, type, reason, message)
MAX_NAMESERVERS = 3
MAX_SEARCH_PATHS = 32
MAX_SEARCH_CHARS = 2048
MAX_DOMAIN_LENGTH = 253
DEFAULT_OPTIONS = ("ndots:5",)
MISSING_CLUSTER_DNS = (
    'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. '
    'Falling back to "Default" policy.'
)
NAMESERVERS_CUT = (
    "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: "
)
SEARCHES_CUT = (
    "Search Line limits were exceeded, some search paths have been omitted, the applied search line is: "
)


@dataclass(slots=True)
class PodDNS:
    servers: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


def parse_resolv_conf(text: str) -> PodDNS:
    """nameserver lines in order; the last search line (trailing dots and "." dropped);
    options merged by name, a later one winning."""
    out = PodDNS()
    options: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.strip().split()
        if not fields or fields[0].startswith("#"):
            continue
        if fields[0] == "nameserver" and len(fields) >= 2:
            out.servers.append(fields[1])
        elif fields[0] == "search":
            out.searches = [s.rstrip(".") for s in fields[1:] if s != "."]
        elif fields[0] == "options":
            for o in fields[1:]:
                options[o.split(":", 1)[0]] = o
    out.options = list(options.values())
    return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _merge_options(existing: list[str], pod_options: list[Object]) -> list[str]:
    by_name: dict[str, str] = {}
    for o in existing:
        name, _, value = o.partition(":")
        by_name[name] = value
    for opt in pod_options:
        by_name[str(opt.get("name", ""))] = str(opt.get("value") or "")
    return [f"{k}:{v}" if v else k for k, v in by_name.items()]


def pod_description(pod: Object) -> str:
    """How the kubelet names a pod in messages: name_namespace(uid)."""
    md = pod["metadata"]
    return f"{md['name']}_{md.get('namespace', '')}({md.get('uid', '')})"


@dataclass(slots=True)
class DNSConfigurer:
    cluster_dns: tuple[str, ...] = ()
    cluster_domain: str = ""
    resolv_conf: str = "/etc/resolv.conf"  # "": none
    node_name: str = ""
    node_ips: tuple[str, ...] = ()
    record: Recorder | None = None

    @property
    def node_ref(self) -> Object:
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": self.node_name, "uid": self.node_name},
        }

    def host_dns(self) -> PodDNS:
        if not self.resolv_conf:
            return PodDNS()
        try:
            return parse_resolv_conf(Path(self.resolv_conf).read_text())
        except OSError:
            return PodDNS()

    def pod_dns(self, pod: Object, *, events: bool = True) -> PodDNS:
        """The pod's DNS configuration; `events`: say what is wrong (once per sandbox)."""
        record = self.record if events else None
        spec = pod.get("spec") or {}
        policy = spec.get("dnsPolicy") or "ClusterFirst"
        cfg = self.host_dns()
        if policy == "None":
            cfg = PodDNS()
        elif policy == "ClusterFirstWithHostNet" or (
            policy == "ClusterFirst" and not spec.get("hostNetwork")
        ):
            if self.cluster_dns:
                cfg = PodDNS(
                    list(self.cluster_dns), self._cluster_searches(pod, cfg.searches), [*DEFAULT_OPTIONS]
                )
            else:
                if record is not None:
                    msg = MISSING_CLUSTER_DNS
                    record(self.node_ref, "Warning", "MissingClusterDNS", msg)
                    record(pod, "Warning", "MissingClusterDNS", f'pod: "{pod_description(pod)}". {msg}')
                cfg = self._host_fallback(cfg)
        else:
            cfg = self._host_fallback(cfg)
        extra = spec.get("dnsConfig")
        if extra is not None:
            cfg.servers = _unique(cfg.servers + list(extra.get("nameservers") or []))
            cfg.searches = _unique(cfg.searches + list(extra.get("searches") or []))
            cfg.options = _merge_options(cfg.options, list(extra.get("options") or []))
        return self._fit(cfg, pod, record)

    def _cluster_searches(self, pod: Object, host: list[str]) -> list[str]:
        d = self.cluster_domain
        if not d:
            return host
        ns = pod["metadata"].get("namespace", "default")
        return _unique([f"{ns}.svc.{d}", f"svc.{d}", d, *host])

    def _host_fallback(self, cfg: PodDNS) -> PodDNS:
        if self.resolv_conf:
            return cfg
        servers = ["::1" if ":" in ip else "127.0.0.1" for ip in self.node_ips] or ["127.0.0.1"]
        return PodDNS(cfg.servers + servers, ["."], cfg.options)

    def _fit(self, cfg: PodDNS, pod: Object, record: Recorder | None) -> PodDNS:
        if len(cfg.servers) > MAX_NAMESERVERS:
            cfg.servers = cfg.servers[:MAX_NAMESERVERS]
            if record is not None:
                record(pod, "Warning", "DNSConfigForming", NAMESERVERS_CUT + " ".join(cfg.servers))
        searches, cut = cfg.searches[:MAX_SEARCH_PATHS], len(cfg.searches) > MAX_SEARCH_PATHS
        kept = [s for s in searches if len(s) <= MAX_DOMAIN_LENGTH]
        cut = cut or len(kept) < len(searches)
        while kept and len(" ".join(kept)) > MAX_SEARCH_CHARS:
            kept.pop()
            cut = True
        cfg.searches = kept
        if cut and record is not None:
            record(pod, "Warning", "DNSConfigForming", SEARCHES_CUT + " ".join(kept))
        return cfg

    def check_limits_for_resolv_conf(self) -> None:
        """At start: warn on the node when the host's search line could not be kept whole."""
        if not self.resolv_conf or self.record is None:
            return
        path = self.resolv_conf
        try:
            searches = parse_resolv_conf(Path(path).read_text()).searches
        except OSError as err:
            self.record(self.node_ref, "Warning", "CheckLimitsForResolvConf", str(err))
            return
        limit = MAX_SEARCH_PATHS - (3 if self.cluster_domain else 0)
        if len(searches) > limit:
            msg = f"Resolv.conf file '{path}' contains search line consisting of more than {limit} domains!"
        elif any(len(s) > MAX_DOMAIN_LENGTH for s in searches):
            msg = (
                f'Resolv.conf file "{path}" contains a search path which length is more than allowed '
                f"{MAX_DOMAIN_LENGTH} chars!"
            )
        elif len(" ".join(searches)) > MAX_SEARCH_CHARS:
            msg = (
                f"Resolv.conf file '{path}' contains search line which length is more than allowed "
                f"{MAX_SEARCH_CHARS} chars!"
            )
        else:
            return
        self.record(self.node_ref, "Warning", "CheckLimitsForResolvConf", msg)
