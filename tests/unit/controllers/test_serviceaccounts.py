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


def _key_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


async def test_a_token_secret_is_filled_with_a_legacy_token_and_goes_with_its_service_account():
    import base64

    from kubelite.api import serviceaccounttoken as sat
    from kubelite.controllers.serviceaccount import TokensController

    pem = _key_pem()
    h = ControllerHarness()
    h.ctx.settings = replace(ControllerSettings(), root_ca=CA, service_account_private_key=pem)
    sa = await h.create("serviceaccounts", {"metadata": {"name": "robot"}})
    async with h.running(TokensController(h.ctx)):
        await h.create(
            "secrets",
            {
                "metadata": {
                    "name": "robot-token",
                    "annotations": {"kubernetes.io/service-account.name": "robot"},
                },
                "type": "kubernetes.io/service-account-token",
            },
        )
        await h.settle()
        secret = h.cluster.get_object("secrets", "robot-token", "default")
        assert secret["metadata"]["annotations"]["kubernetes.io/service-account.uid"] == sa["metadata"]["uid"]
        data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
        assert data["ca.crt"] == CA.decode() and data["namespace"] == "default"
        verifier = sat.Verifier(sat.load_public_keys(pem), [], [])
        claims = verifier.verify(data["token"])
        assert claims == {
            "iss": "kubernetes/serviceaccount",
            "kubernetes.io/serviceaccount/namespace": "default",
            "kubernetes.io/serviceaccount/secret.name": "robot-token",
            "kubernetes.io/serviceaccount/service-account.name": "robot",
            "kubernetes.io/serviceaccount/service-account.uid": sa["metadata"]["uid"],
            "sub": "system:serviceaccount:default:robot",
        }
        await h.client.resource("serviceaccounts").delete("robot")
        await h.settle()
        assert h.cluster.get_object("secrets", "robot-token", "default") is None
