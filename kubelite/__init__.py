"""kubelite: the Kubernetes architecture, built in Python."""

import os

__version__ = "0.1.0"

# The Kubernetes release whose API kubelite implements (reported by /version).
KUBERNETES_VERSION = "v1.32.4"

# gRPC's fork support (on by default) reruns its pollers in the child of every fork(); a
# subprocess started with a preexec_fn then closes their epoll descriptor before exec and
# the child aborts (grpc/grpc#43055). No kubelite process uses gRPC across a fork - every
# child execs - so the handlers only add that crash. Set before any module imports grpc.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
