"""The kubelet: the node agent that registers its Node and runs the pods bound to it.

    options       KubeletOptions (flags of `kubelite kubelet`)
    hostinfo      the machine's capacity, addresses and system info
    node          the real node's facts and health (conditions from runtime and host)
    nodestatus    NodeAgent: register the Node, post its status on change / every 5 min
    lease         NodeLease: the heartbeat in kube-node-lease every 10 s
    backoff       per-key exponential back-off on the injected clock
    hashing       the content hash that tells a changed container or manifest
    kubelet       Kubelet: composes the above with the pod path
    process, cli  the `kubelite kubelet` process
    simulated/    N simulated nodes from one process; pod lifecycles as data (stages)
    testing       fakes for tests: FakeAPI, and FakeRuntime (fakeruntime), an in-memory
                  CRI runtime whose containers run on the test's clock

The kubelet reaches the container runtime only over the CRI (`kubelite.cri`).
"""
