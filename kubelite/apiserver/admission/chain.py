"""The admission chain: every write passes the enabled plugins, mutating then validating.

    registry write (create / update / delete)
      -> admit:    each enabled mutating plugin, in the order below (may change the object)
      -> validation of the object (kubelite.api.validation)
      -> validate: each enabled validating plugin, in the same order (may only refuse)
      -> the Service IP/port allocator (Kubernetes' Service storage, not a named plugin)
      -> storage

The order is kube-apiserver's (`AllOrderedPlugins`), restricted to the plugins kubelite has;
`--enable-admission-plugins` and `--disable-admission-plugins` choose among them as
kube-apiserver does: the default-on set, plus those enabled, minus those disabled, always
run in this order whatever order the flags name them in. A plugin refuses a write by raising
an APIError (Forbidden with `<resource> "<name>" is forbidden: <reason>`, as Kubernetes'
admission.NewForbidden words it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from kubelite.api import errors
from kubelite.api.resources import ResourceType
from kubelite.apiserver.registry import Admission, AdmissionAttributes


class Plugin(Admission):
    """One admission plugin; `NAME` is its kube-apiserver name. Both phases default to
    admitting everything; a plugin overrides `admit` (mutating), `validate`, or both."""

    NAME: ClassVar[str] = ""


# kube-apiserver's order (pkg/kubeapiserver/options/plugins.go), kubelite's plugins only.
ORDER = (
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "TaintNodesByCondition",
    "PodSecurity",
    "Priority",
    "DefaultTolerationSeconds",
    "DefaultStorageClass",
    "StorageObjectInUseProtection",
    "ResourceQuota",
)
# Kubernetes 1.32 turns all of these on by default.
DEFAULT_ON = frozenset(ORDER)
# Plugins kube-apiserver knows that kubelite does not have: naming them is not an error
# (manifests written for kubeadm name them), they are ignored with a log line.
KNOWN_ELSEWHERE = frozenset(
    {
        "AlwaysAdmit",
        "AlwaysPullImages",
        "CertificateApproval",
        "CertificateSigning",
        "CertificateSubjectRestriction",
        "ClusterTrustBundleAttest",
        "DefaultIngressClass",
        "DenyServiceExternalIPs",
        "EventRateLimit",
        "ExtendedResourceToleration",
        "ImagePolicyWebhook",
        "LimitPodHardAntiAffinityTopology",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionWebhook",
        "NamespaceAutoProvision",
        "NamespaceExists",
        "NodeRestriction",
        "OwnerReferencesPermissionEnforcement",
        "PersistentVolumeClaimResize",
        "PodNodeSelector",
        "PodTolerationRestriction",
        "RuntimeClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionWebhook",
    }
)


def enabled_plugins(enable: Iterable[str] = (), disable: Iterable[str] = ()) -> list[str]:
    """The plugins to run, in chain order: default-on + `enable` - `disable`.

    An unknown name is a configuration error worded as kube-apiserver's; naming a plugin in
    both lists is one too.
    """
    enable, disable = [n for n in enable if n], [n for n in disable if n]
    for flag, names in (("enable-admission-plugins", enable), ("disable-admission-plugins", disable)):
        for name in names:
            if name not in ORDER and name not in KNOWN_ELSEWHERE and name != "AlwaysDeny":
                raise ValueError(f'{flag} plugin "{name}" is unknown')
    both = sorted(set(enable) & set(disable))
    if both:
        raise ValueError(f"{both} in enable-admission-plugins and disable-admission-plugins overlapped")
    chosen = (DEFAULT_ON | set(enable)) - set(disable)
    return [name for name in (*ORDER, "AlwaysDeny") if name in chosen]


class Chain(Admission):
    """The enabled plugins in order, then the storage-side hooks (the Service allocator)."""

    def __init__(self, plugins: Sequence[Admission], storage: Sequence[Admission] = ()) -> None:
        self.plugins = list(plugins)
        self.storage = list(storage)

    @property
    def names(self) -> list[str]:
        return [getattr(p, "NAME", "") for p in self.plugins]

    async def admit(self, attrs: AdmissionAttributes) -> None:
        for p in self.plugins:
            await p.admit(attrs)

    async def validate(self, attrs: AdmissionAttributes) -> None:
        for p in self.plugins:
            await p.validate(attrs)
        for s in self.storage:
            await s.validate(attrs)

    async def create_failed(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        for p in (*self.plugins, *self.storage):
            await p.create_failed(rt, obj)

    async def deleted(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        for p in (*self.plugins, *self.storage):
            await p.deleted(rt, obj)


class AlwaysDeny(Plugin):
    """Refuses every write (kube-apiserver's test plugin, off unless named)."""

    NAME = "AlwaysDeny"

    async def validate(self, attrs: AdmissionAttributes) -> None:
        raise errors.Forbidden("admission control is denying all modifications")


def forbidden(attrs: AdmissionAttributes, reason: str) -> errors.Forbidden:
    """Kubernetes' admission.NewForbidden: `<resource> "<name>" is forbidden: <reason>`."""
    rt = attrs.rt
    name = attrs.name
    if not name and attrs.obj is not None:
        md = attrs.obj.get("metadata") or {}
        name = md.get("name") or md.get("generateName") or ""
    resource = rt.plural if not attrs.subresource else f"{rt.plural}/{attrs.subresource}"
    qualified = resource if not rt.group else f"{resource}.{rt.group}"
    return errors.Forbidden(
        f'{qualified} "{name}" is forbidden: {reason}',
        details={"name": name, "group": rt.group, "kind": rt.plural},
    )


PluginFactory = Callable[[], Admission]


def build(names: Iterable[str], factories: dict[str, PluginFactory], storage: Sequence[Admission]) -> Chain:
    """A chain of the named plugins (in chain order) made by their factories."""
    plugins: list[Admission] = []
    for name in names:
        if name == "AlwaysDeny":
            plugins.append(AlwaysDeny())
        elif name in factories:
            plugins.append(factories[name]())
    return Chain(plugins, storage)
