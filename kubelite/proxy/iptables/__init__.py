"""The iptables proxy mode: kube-proxy's chain layout (names.py), the rules of a sync as one
iptables-restore input (rules.py), and applying them (proxier.py)."""
