"""`kubelite scheduler`: assigns each pending pod to a node; the kubelet then runs it.

    scheduler.py      the loop: pop a pod, choose a node, assume it there, bind off the loop
    algorithm.py      filter and score on the cycle's snapshot; percentageOfNodesToScore;
                      ties round-robin
    eventhandlers.py  informer events into the cache and the queue
    cache/            nodes, bound and assumed pods; the per-cycle snapshot
    queue/            active queue, back-off queue, unschedulable pods; nominated pods
    framework/        the extension points (interface.py), Status, PodInfo/NodeInfo, the
                      per-profile Framework running the plugins (runtime.py), why a pod
                      fits nowhere (diagnosis.py), cluster events (events.py)
    plugins/          the in-tree plugins, one folder each, and the registry
    config/           KubeSchedulerConfiguration v1: profiles, plugins, args
    metrics.py        Prometheus metrics under Kubernetes' names
    process.py, cli.py  the process: options, client, leader election, health and metrics
    testing.py        builders of pods, nodes and frameworks for tests of plugins

It reaches the API server only through kubelite.client (an import-linter contract).
"""
