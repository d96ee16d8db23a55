"""kube-proxy: programs each node so a Service's virtual IP reaches the Service's pods.

model.py         service ports and endpoints read out of Services and EndpointSlices;
                 the traffic policies' endpoint categories
changes.py       the change tracker: which services changed between two syncs
runner.py        the bounded frequency runner (--iptables-min-sync-period / -sync-period)
proxier.py       the Proxier protocol every mode implements, and its SyncResult
iptables/        the iptables mode: kube-proxy's chains (names.py, rules.py) applied
                 with one iptables-restore per sync (proxier.py)
conntrack.py     stale UDP flows cleared after endpoints go
servicerange.py  the Services' range unreachable unless a rule catches the packet
ipvs.py          why --proxy-mode ipvs is refused on this kernel
netcmd.py        running iptables, ip, nft, conntrack (optionally in a netns)
healthz.py       /healthz, /livez (10256) and /metrics (10249), kube-proxy's bodies
metrics.py       the kubeproxy_* metrics
options.py       ProxyOptions and kube-proxy's flags
process.py       the process: informers → tracker → runner → proxier
cli.py           `kubelite proxy`
"""
