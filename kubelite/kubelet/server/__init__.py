"""The kubelet's HTTPS server (port 10250): what the API server reaches a node through.

`kubectl logs`, `exec`, `attach`, `port-forward` and `cp` arrive here from the API server
(pods/log, pods/exec, ...), as does `kubectl get --raw /api/v1/nodes/N/proxy/...`:

- `server`: the server, its routes, TLS and lifetime;
- `auth`: authentication (client certificates) and authorization of every request;
- `host`: what the server reads from the kubelet (its pods, the runtime);
- `streaming`: exec, attach, port-forward (relayed to the runtime's streaming server) and run;
- `containerlogs`: container logs (kubelite.kubelet.logs reads the files);
- `stats`: the Summary API and the resource metrics.
"""
