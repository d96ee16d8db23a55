"""kubelite: the Kubernetes architecture, built in Python."""

__version__ = "0.1.0"

# The Kubernetes release whose API kubelite implements (reported by /version).
KUBERNETES_VERSION = "v1.32.4"
