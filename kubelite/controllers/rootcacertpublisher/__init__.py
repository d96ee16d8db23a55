"""The root CA publisher (`publisher.py`): every namespace's `kube-root-ca.crt` ConfigMap."""

from kubelite.controllers.rootcacertpublisher.publisher import RootCACertPublisher

__all__ = ["RootCACertPublisher"]
