"""Container probes: liveness, readiness and startup, split by kind.

    probes.py    run one probe once: exec, httpGet, tcpSocket, grpc → success/failure
    worker.py    one worker per (container instance, probe kind): waits the initial
                 delay, probes every period with its timeout, and flips its result
                 only after successThreshold / failureThreshold consecutive outcomes
    manager.py   starts and stops workers as containers come and go, keeps results,
                 and wakes the pod's worker when a result changes

Results are read by the pod worker: readiness → the container's `ready`; startup →
its `started` (and liveness/readiness wait for it); liveness failure → the container is
killed and restarted by its restart policy.
"""
