"""kubelite's container runtime: a CRI v1 server running OCI images with runc, networked by CNI.

`server` (the process) → `grpc_services` (runtime.v1 servicers) → `service.Runtime`
(sandboxes + containers + stats + recovery) and `kubelite.image.manager.ImageManager`.
Containers run under per-container `monitor` processes that outlive the server.
"""
