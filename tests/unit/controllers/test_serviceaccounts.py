"""The service account controller gives every namespace its `default` ServiceAccount; the
root CA publisher gives every namespace its `kube-root-ca.crt` ConfigMap."""

from __future__ import annotations

from dataclasses import replace

from kubelite.controllers.context import ControllerSettings
from kubelite.controllers.rootcacertpublisher import RootCACertPublisher
from kubelite.controllers.rootcacertpublisher.publisher import DESCRIPTION
from kubelite.controllers.serviceaccount import ServiceAccountsController
from kubelite.controllers.testing import ControllerHarness

CA = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


async def test_every_namespace_gets_a_default_service_account_back_after_its_deletion():
    h = ControllerHarness()
    namespaces = h.client.resource("namespaces")
    await namespaces.create({"metadata": {"name": "old"}})
    async with h.running(ServiceAccountsController(h.ctx)):
        await namespaces.create({"metadata": {"name": "new"}})
        await h.settle()
        assert [sa["metadata"]["name"] for sa in h.cluster.objects("serviceaccounts", "old")] == ["default"]
        assert [sa["metadata"]["name"] for sa in h.cluster.objects("serviceaccounts", "new")] == ["default"]
        await h.client.resource("serviceaccounts").delete("default", namespace="new")
        await h.settle()
        assert h.cluster.get_object("serviceaccounts", "default", "new") is not None


async def test_a_terminating_namespace_gets_no_service_account():
    h = ControllerHarness()
    namespaces = h.client.resource("namespaces")
    await namespaces.create({"metadata": {"name": "doomed", "finalizers": ["x/y"]}})
    await namespaces.delete("doomed")
    async with h.running(ServiceAccountsController(h.ctx)):
        await h.settle()
        assert h.cluster.objects("serviceaccounts", "doomed") == []


async def test_every_namespace_gets_the_root_ca_configmap_and_it_is_put_back_when_changed():
    h = ControllerHarness()
    h.ctx.settings = replace(ControllerSettings(), root_ca=CA)
    await h.client.resource("namespaces").create({"metadata": {"name": "a"}})
    async with h.running(RootCACertPublisher(h.ctx)):
        await h.settle()
        cm = h.cluster.get_object("configmaps", "kube-root-ca.crt", "a")
        assert cm["data"] == {"ca.crt": CA.decode()}
        assert cm["metadata"]["annotations"] == {"kubernetes.io/description": DESCRIPTION}
        cm["data"]["ca.crt"] = "tampered"
        await h.client.resource("configmaps").update(cm, namespace="a")
        await h.settle()
        assert h.cluster.get_object("configmaps", "kube-root-ca.crt", "a")["data"] == {"ca.crt": CA.decode()}
        await h.client.resource("configmaps").delete("kube-root-ca.crt", namespace="a")
        await h.settle()
        assert h.cluster.get_object("configmaps", "kube-root-ca.crt", "a") is not None
