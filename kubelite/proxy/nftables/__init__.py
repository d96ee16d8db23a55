"""The nftables proxy mode: kube-proxy 1.31's `kube-proxy` table (rules.py), applied with
one `nft -f` transaction per sync (proxier.py)."""
