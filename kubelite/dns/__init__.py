"""Cluster DNS (`kubelite dns`): the role CoreDNS plays in a Kubernetes cluster.

Names under the cluster domain are answered from informers on Services, EndpointSlices and
Namespaces as CoreDNS's kubernetes plugin answers them (`records.py`, `answer.py`); every
other name goes to the host's upstream resolvers with a cache (`forward.py`, `cache.py`).
`server.py` speaks DNS over UDP and TCP, `serving.py` the health, readiness and metrics
endpoints, `publish.py` keeps the `kube-dns` Service and its endpoints, and `process.py`
puts them together.
"""
