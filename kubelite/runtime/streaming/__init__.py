"""The CRI streaming server: where exec, attach and port-forward sessions actually run.

The CRI calls `Exec`, `Attach` and `PortForward` do not stream; each answers with a URL
on this server (as the kubelet's CRI streaming library does for CRI-O and containerd).
The URL carries a one-time token standing for the request; whoever opens it first (the
kubelet, relaying `kubectl exec`) gets the session over a WebSocket:

```
kubelet ──CRI Exec(cmd, tty, stdin…)──► runtime: token ← request; answer http://127.0.0.1:P/exec/<token>
kubelet ──GET /exec/<token>, Upgrade: websocket (v5/v4.channel.k8s.io)──► streaming server
        ◄════ channels 0 stdin / 1 stdout / 2 stderr / 3 status / 4 resize / 255 close ════►
```

- `tokens`: the one-time request cache;
- `server`: the HTTP server and its three routes;
- `stdio`: the remotecommand channel protocol, shared by exec and attach;
- `exec`: `runc exec` with pipes or with a terminal;
- `attach`: a client of the container monitor's attach socket;
- `portforward`: connections to 127.0.0.1:port inside a pod's network namespace.

The wire protocols and their clients are in `kubelite.cri.remotecommand` and
`kubelite.cri.portforward`. SPDY, which Kubernetes' kubelet also accepts here, is not spoken.
"""
