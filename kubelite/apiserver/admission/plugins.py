"""The admission plugins kubelite has, by kube-apiserver name, made for one API server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubelite.apiserver.admission.chain import Chain, PluginFactory, build, enabled_plugins
from kubelite.apiserver.admission.defaulttolerationseconds import DefaultTolerationSeconds
from kubelite.apiserver.admission.limitranger import LimitRanger
from kubelite.apiserver.admission.namespacelifecycle import NamespaceLifecycle
from kubelite.apiserver.admission.objects import Objects
from kubelite.apiserver.admission.podsecurity import PodSecurity
from kubelite.apiserver.admission.priority import Priority
from kubelite.apiserver.admission.resourcequota import ResourceQuota
from kubelite.apiserver.admission.serviceaccount import ServiceAccount
from kubelite.apiserver.admission.storageclass import DefaultStorageClass, StorageObjectInUseProtection
from kubelite.apiserver.admission.taintnodesbycondition import TaintNodesByCondition
from kubelite.apiserver.registry import Admission, Registry


@dataclass(slots=True)
class AdmissionOptions:
    """kube-apiserver's admission flags."""

    enable_plugins: tuple[str, ...] = ()
    disable_plugins: tuple[str, ...] = ()
    default_not_ready_toleration_seconds: int = 300
    default_unreachable_toleration_seconds: int = 300


def new_chain(registry: Registry, options: AdmissionOptions, storage: Sequence[Admission] = ()) -> Chain:
    objects = Objects(registry)
    factories: dict[str, PluginFactory] = {
        "NamespaceLifecycle": lambda: NamespaceLifecycle(objects),
        "LimitRanger": lambda: LimitRanger(objects),
        "ServiceAccount": lambda: ServiceAccount(objects),
        "TaintNodesByCondition": TaintNodesByCondition,
        "PodSecurity": lambda: PodSecurity(objects),
        "Priority": lambda: Priority(objects),
        "DefaultTolerationSeconds": lambda: DefaultTolerationSeconds(
            options.default_not_ready_toleration_seconds, options.default_unreachable_toleration_seconds
        ),
        "DefaultStorageClass": lambda: DefaultStorageClass(objects),
        "StorageObjectInUseProtection": StorageObjectInUseProtection,
        "ResourceQuota": lambda: ResourceQuota(objects),
    }
    names = enabled_plugins(options.enable_plugins, options.disable_plugins)
    return build(names, factories, storage)
