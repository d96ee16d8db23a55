"""kubelite's container runtime: a CRI v1 server running OCI images with runc, networked by CNI.

`process` (the process) → `grpc_servicers` (runtime.v1 servicers) → `runtime_service.Runtime`
(sandboxes + containers + stats + recovery) and `kubelite.image.manager.ImageManager`.
Containers run under per-container `monitor` processes that outlive the server; `streaming/`
serves exec, attach and port-forward (the CRI calls in `streaming/cri_calls.py`, the HTTP
server their URLs point at in `streaming/http_server.py`).
"""
