"""`kubelite hostgw`: pod networks routed between nodes, host-gateway style (flannel's host-gw).

One agent runs on every node, in the node's network namespace. It watches the Node objects
and routes each other node's `spec.podCIDR` via that node's InternalIP, so a pod on one node
reaches a pod on any other by its IP, with no tunnel and no NAT. Because the routes come
only from Node objects, the same agent works for nodes that are namespaces on one machine
(`kubelite up --nodes N`) and for nodes that are machines on one L2 network.
"""
