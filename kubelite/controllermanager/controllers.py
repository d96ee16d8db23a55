"""Which controllers exist, under which names, and which `--controllers` turns on.

The names are kube-controller-manager's (1.32), with the older names still accepted as
aliases (`replicaset` for `replicaset-controller`, ...), so a kube-controller-manager
command line works unchanged. Every name Kubernetes knows is known here; the ones kubelite
does not have yet are reported in the log when enabled, not refused.

    --controllers '*'                          every controller on by default
    --controllers '*,-garbage-collector-controller'   all but the garbage collector
    --controllers 'replicaset,deployment'      only these two
    --controllers 'bootstrap-signer-controller,*'     the defaults plus one that is off by default

The first entry that names a controller decides; `*` counts only for controllers no entry
names, and never for the disabled-by-default ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kubelite.controllers.context import ControllerContext, NotStarted, RunnableController
from kubelite.controllers.cronjob import CronJobController
from kubelite.controllers.daemonset import DaemonSetController
from kubelite.controllers.deployment import DeploymentController
from kubelite.controllers.disruption import DisruptionController
from kubelite.controllers.endpoints import EndpointsController
from kubelite.controllers.endpointslice import EndpointSliceController
from kubelite.controllers.endpointslicemirroring import EndpointSliceMirroringController
from kubelite.controllers.garbagecollector import GarbageCollector
from kubelite.controllers.job import JobController
from kubelite.controllers.namespace import NamespaceController
from kubelite.controllers.nodeipam import NodeIPAMController
from kubelite.controllers.nodelifecycle import NodeLifecycleController
from kubelite.controllers.podgc import PodGCController
from kubelite.controllers.replicaset import REPLICATION_CONTROLLER, ReplicaSetController
from kubelite.controllers.resourcequota import ResourceQuotaController
from kubelite.controllers.rootcacertpublisher import RootCACertPublisher
from kubelite.controllers.serviceaccount import ServiceAccountsController, TokensController
from kubelite.controllers.statefulset import StatefulSetController
from kubelite.controllers.tainteviction import TaintEvictionController
from kubelite.controllers.ttlafterfinished import TTLAfterFinishedController
from kubelite.controllers.volume.localpath import LocalPathProvisioner
from kubelite.controllers.volume.persistentvolume import PersistentVolumeController
from kubelite.controllers.volume.protection import PVCProtectionController, PVProtectionController

Constructor = Callable[[ControllerContext], RunnableController]


@dataclass(slots=True, frozen=True)
class ControllerDescriptor:
    name: str
    aliases: tuple[str, ...] = ()
    new: Constructor | None = None  # None: not in kubelite yet
    disabled_by_default: bool = False


def _rc(ctx: ControllerContext) -> RunnableController:
    return ReplicaSetController(ctx, REPLICATION_CONTROLLER)


def _root_ca_publisher(ctx: ControllerContext) -> RunnableController:
    if not ctx.settings.root_ca:
        return NotStarted("root-ca-certificate-publisher-controller", "no --root-ca-file")
    return RootCACertPublisher(ctx)


def _local_path(ctx: ControllerContext) -> RunnableController:
    if not ctx.settings.local_path_dir:
        return NotStarted("local-path-provisioner-controller", "no --local-path-dir")
    return LocalPathProvisioner(ctx)


def _tokens(ctx: ControllerContext) -> RunnableController:
    if not ctx.settings.service_account_private_key:
        return NotStarted("serviceaccount-token-controller", "no --service-account-private-key-file")
    return TokensController(ctx)


# In kube-controller-manager's order.
KNOWN: tuple[ControllerDescriptor, ...] = (
    ControllerDescriptor("serviceaccount-token-controller", ("serviceaccount-token",), _tokens),
    ControllerDescriptor("endpoints-controller", ("endpoint",), EndpointsController),
    ControllerDescriptor("endpointslice-controller", ("endpointslice",), EndpointSliceController),
    ControllerDescriptor(
        "endpointslice-mirroring-controller", ("endpointslicemirroring",), EndpointSliceMirroringController
    ),
    ControllerDescriptor("replicationcontroller-controller", ("replicationcontroller",), _rc),
    ControllerDescriptor("pod-garbage-collector-controller", ("podgc",), PodGCController),
    ControllerDescriptor("resourcequota-controller", ("resourcequota",), ResourceQuotaController),
    ControllerDescriptor("namespace-controller", ("namespace",), NamespaceController),
    ControllerDescriptor("serviceaccount-controller", ("serviceaccount",), ServiceAccountsController),
    ControllerDescriptor("garbage-collector-controller", ("garbagecollector",), GarbageCollector),
    ControllerDescriptor("daemonset-controller", ("daemonset",), DaemonSetController),
    ControllerDescriptor("job-controller", ("job",), JobController),
    ControllerDescriptor("deployment-controller", ("deployment",), DeploymentController),
    ControllerDescriptor("replicaset-controller", ("replicaset",), ReplicaSetController),
    ControllerDescriptor("horizontal-pod-autoscaler-controller", ("horizontalpodautoscaling",)),
    ControllerDescriptor("disruption-controller", ("disruption",), DisruptionController),
    ControllerDescriptor("statefulset-controller", ("statefulset",), StatefulSetController),
    ControllerDescriptor("cronjob-controller", ("cronjob",), CronJobController),
    ControllerDescriptor("certificatesigningrequest-signing-controller", ("csrsigning",)),
    ControllerDescriptor("certificatesigningrequest-approving-controller", ("csrapproving",)),
    ControllerDescriptor("certificatesigningrequest-cleaner-controller", ("csrcleaner",)),
    ControllerDescriptor("ttl-controller", ("ttl",)),
    ControllerDescriptor("bootstrap-signer-controller", ("bootstrapsigner",), disabled_by_default=True),
    ControllerDescriptor("token-cleaner-controller", ("tokencleaner",), disabled_by_default=True),
    ControllerDescriptor("node-ipam-controller", ("nodeipam",), NodeIPAMController),
    ControllerDescriptor("node-lifecycle-controller", ("nodelifecycle",), NodeLifecycleController),
    ControllerDescriptor("taint-eviction-controller", (), TaintEvictionController),
    ControllerDescriptor("service-lb-controller", ("service",)),
    ControllerDescriptor("node-route-controller", ("route",)),
    ControllerDescriptor(
        "persistentvolume-binder-controller", ("persistentvolume-binder",), PersistentVolumeController
    ),
    ControllerDescriptor("persistentvolume-attach-detach-controller", ("attachdetach",)),
    ControllerDescriptor("persistentvolume-expander-controller", ("persistentvolume-expander",)),
    ControllerDescriptor("clusterrole-aggregation-controller", ("clusterrole-aggregation",)),
    ControllerDescriptor(
        "persistentvolumeclaim-protection-controller", ("pvc-protection",), PVCProtectionController
    ),
    ControllerDescriptor(
        "persistentvolume-protection-controller", ("pv-protection",), PVProtectionController
    ),
    ControllerDescriptor(
        "ttl-after-finished-controller", ("ttl-after-finished",), TTLAfterFinishedController
    ),
    ControllerDescriptor(
        "root-ca-certificate-publisher-controller", ("root-ca-cert-publisher",), _root_ca_publisher
    ),
    ControllerDescriptor("ephemeral-volume-controller", ("ephemeral-volume",)),
    ControllerDescriptor("storageversion-garbage-collector-controller", ("storage-version-gc",)),
    ControllerDescriptor("resourceclaim-controller", ("resource-claim-controller",)),
    ControllerDescriptor(
        "legacy-serviceaccount-token-cleaner-controller", ("legacy-service-account-token-cleaner",)
    ),
    ControllerDescriptor("validatingadmissionpolicy-status-controller"),
    ControllerDescriptor("service-cidr-controller"),
    ControllerDescriptor("storage-version-migrator-controller", disabled_by_default=True),
    # kubelite's own: the default StorageClass's provisioner (needs --local-path-dir).
    ControllerDescriptor("local-path-provisioner-controller", (), _local_path),
)

_BY_NAME = {d.name: d for d in KNOWN}
_ALIASES = {alias: d.name for d in KNOWN for alias in d.aliases}


def canonical(name: str) -> str:
    """The controller's name for a name or alias (unchanged if unknown)."""
    return _ALIASES.get(name, name)


class UnknownController(ValueError):
    pass


def validate(selection: Iterable[str]) -> None:
    """Raise UnknownController for an entry that names no controller (as Kubernetes does)."""
    for entry in selection:
        if entry == "*":
            continue
        bare = entry.removeprefix("-")
        if canonical(bare) not in _BY_NAME:
            raise UnknownController(f'"{bare}" is not in the list of known controllers')


def is_enabled(descriptor: ControllerDescriptor, selection: Iterable[str]) -> bool:
    star = False
    for entry in selection:
        if entry == "*":
            star = True
            continue
        negated = entry.startswith("-")
        if canonical(entry.removeprefix("-")) == descriptor.name:
            return not negated
    return star and not descriptor.disabled_by_default


def enabled(selection: Iterable[str]) -> list[ControllerDescriptor]:
    chosen = list(selection)
    validate(chosen)
    return [d for d in KNOWN if is_enabled(d, chosen)]


def help_text() -> str:
    names = ", ".join(sorted(d.name for d in KNOWN))
    off = ", ".join(sorted(d.name for d in KNOWN if d.disabled_by_default))
    return (
        "A list of controllers to enable. '*' enables all on-by-default controllers, 'foo' enables "
        "the controller named 'foo', '-foo' disables the controller named 'foo'. "
        f"All controllers: {names}. Disabled-by-default controllers: {off}"
    )
