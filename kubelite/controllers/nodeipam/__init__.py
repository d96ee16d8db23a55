"""The node IPAM controller: a pod CIDR per node from --cluster-cidr.

cidrset.py      the cluster CIDR cut into node CIDRs; which are taken
controller.py   nodes get, keep and give back their CIDRs
"""

from kubelite.controllers.nodeipam.controller import NAME, NodeIPAMController

__all__ = ["NAME", "NodeIPAMController"]
