"""Upgraded HTTP connections: what `kubectl exec`, `attach`, `port-forward` and `cp` run on.

An exec or port-forward request leaves HTTP behind once the server answers `101 Switching
Protocols`; from then on the connection carries one of two stream protocols:

```
SPDY/3.1   many streams multiplexed on one connection (stdin, stdout, stderr, error,
           resize; or a data and an error stream per forwarded connection). kubectl
           1.27-1.29 and every client-go fallback; the API server to the kubelet and the
           kubelet to the runtime, as in Kubernetes. Also tunnelled inside WebSocket
           messages by kubectl >= 1.31's port-forward (`SPDY/3.1+portforward.k8s.io`).
WebSocket  one channel byte in front of every message (kubelite.cri.remotecommand and
           kubelite.cri.portforward); kubectl >= 1.30's exec and the Python clients.
```

- `spdyframes`: SPDY/3.1 frames to and from bytes, with zlib header compression;
- `spdy`: a SPDY connection and its streams over any byte stream;
- `transport`: byte streams (a TCP/TLS connection, WebSocket messages) and copying between two;
- `upgrade`: the HTTP side of an upgrade: negotiating `X-Stream-Protocol-Version`, taking over
  an aiohttp request's connection after the 101, and dialling an upgrade as a client.

Kubernetes keeps these in apimachinery's `util/httpstream`; the session protocols that run
on top of them (exec channels, port-forward streams) are in `kubelite.cri`.
"""
