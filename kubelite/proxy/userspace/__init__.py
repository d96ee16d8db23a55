"""The userspace proxy mode: a relay per service port in this process, backends chosen
by the IPVS schedulers (schedulers.py), and iptables redirect rules sending each Service
IP to its relay (rules.py, proxier.py)."""
