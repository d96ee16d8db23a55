"""The CRI streaming server: where exec, attach and port-forward sessions actually run.

The CRI calls `Exec`, `Attach` and `PortForward` do not stream; each answers with a URL
on this server (as the kubelet's CRI streaming library does for CRI-O and containerd).
The URL carries a one-time token standing for the request; whoever opens it first (the
kubelet, relaying `kubectl exec` from the API server) gets the session, over SPDY/3.1 as a
Kubernetes kubelet relays it, or over a WebSocket:

```
kubelet ──CRI Exec(cmd, tty, stdin…)──► runtime: token ← request; answer http://127.0.0.1:P/exec/<token>
kubelet ──POST /exec/<token>, Upgrade: SPDY/3.1 (v5…v1.channel.k8s.io)──► streaming server
        ◄════ streams error / stdin / stdout / stderr / resize ════►
```

- `tokens`: the one-time request cache;
- `http_server`: the HTTP server and its three routes;
- `exec`: `runc exec` with pipes or with a terminal;
- `attach`: a client of the container monitor's attach socket;
- `portforward`: connections to 127.0.0.1:port inside a pod's network namespace.

The wire protocols (both ends) are in `kubelite.cri.remotecommand` (WebSocket),
`kubelite.cri.remotecommand_spdy`, `kubelite.cri.portforward` and
`kubelite.cri.portforward_spdy`.
"""
