"""Pod volumes on the node: each kind set up under the pod's directory and bind-mounted
into containers through CRI Mounts.

    <root dir>/pods/<uid>/volumes/kubernetes.io~<kind>/<volume name>

`manager.py` sets a pod's volumes up before its sandbox starts and again on every pod sync
(so configMap, secret, downwardAPI and projected contents follow their sources), turns a
container's volumeMounts into CRI Mounts, and removes the pod's directory when the pod is
gone. One module per kind builds its contents; `atomic_writer.py` publishes them.
"""
