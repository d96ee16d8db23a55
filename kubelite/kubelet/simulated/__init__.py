"""Simulated nodes: many Nodes from one process, with pods that run without containers.

`kubelite kubelet --simulated N` registers N Nodes, renews each one's Lease and posts
each one's status exactly as a real kubelet would, and moves the pods bound to them
through their phases by *stages* (`stages.py`): data saying "a pod that looks like this,
after this delay, becomes that" (the idea of kwok's Stage resources). No container runs.
Each node says what it is: the label `kubelite.io/simulated=true` and a nodeInfo whose
container runtime is `simulated://`.
"""
