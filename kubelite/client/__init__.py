"""The client library every kubelite component uses to talk to the API server.

    config       ClientConfig; kubeconfig files, in-cluster service-account config
    rest         Client: one connection pool, auth, QPS/burst limits, Status → APIError
    resource     ResourceClient: every verb, patch types, subresources, pages, watch
    watch        WatchEvent and the watch stream reader
    reflector    list then watch, resume from the last resourceVersion, re-list on 410
    informer     SharedInformer (cache + handlers + resync), SharedInformerFactory
    store        Indexer (namespace, nodeName, owner uid, custom indexes) and Lister
    workqueue    WorkQueue with client-go's guarantees, delays and rate-limited retries
    ratelimit    per-item exponential, overall bucket and max-of rate limiters
    leaderelection  Lease-based leader election
    events       EventRecorder writing core/v1 Events with Kubernetes' aggregation
    reconcile    Controller: informers → workqueue → reconcile(key)

Like client-go, everything above the transport is usable without a server in tests:
inject a `FakeClock` (kubelite.util.clock) and drive time by hand.
"""

from kubelite.client.config import ClientConfig, ConfigError, in_cluster_config, load_config, load_kubeconfig
from kubelite.client.informer import EventHandler, Handlers, SharedInformer, SharedInformerFactory
from kubelite.client.resource import APIResource, PatchType, ResourceClient, find_resource
from kubelite.client.rest import Client
from kubelite.client.store import Indexer, Lister, object_key, split_key
from kubelite.client.watch import EventType, WatchEvent

__all__ = [
    "APIResource",
    "Client",
    "ClientConfig",
    "ConfigError",
    "EventHandler",
    "EventType",
    "Handlers",
    "Indexer",
    "Lister",
    "PatchType",
    "ResourceClient",
    "SharedInformer",
    "SharedInformerFactory",
    "WatchEvent",
    "find_resource",
    "in_cluster_config",
    "load_config",
    "load_kubeconfig",
    "object_key",
    "split_key",
]
