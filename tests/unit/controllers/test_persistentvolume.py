"""The PV binder, the protection controllers and the local-path provisioner on a fake
cluster in virtual time."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kubelite.api import volumes as v
from kubelite.controllers.testing import ControllerHarness
from kubelite.controllers.volume.localpath import LocalPathProvisioner
from kubelite.controllers.volume.persistentvolume import PersistentVolumeController
from kubelite.controllers.volume.protection import PVCProtectionController, PVProtectionController

Obj = dict[str, Any]


def pv(
    name: str, size: str = "1Gi", *, cls: str = "", modes: tuple[str, ...] = ("ReadWriteOnce",), **spec: Any
) -> Obj:
    return {
        "metadata": {"name": name, "labels": spec.pop("labels", {})},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": list(modes),
            "storageClassName": cls,
            "hostPath": {"path": f"/tmp/{name}"},
            **spec,
        },
        "status": {"phase": "Pending"},
    }


def pvc(name: str, size: str = "1Gi", *, cls: str | None = "", **spec: Any) -> Obj:
    body: Obj = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}, **spec}
    if cls is not None:
        body["storageClassName"] = cls
    return {"metadata": {"name": name}, "spec": body, "status": {"phase": "Pending"}}


def get(h: ControllerHarness, plural: str, name: str) -> Obj:
    obj = h.cluster.get_object(plural, name, "default" if plural == "persistentvolumeclaims" else "")
    assert obj is not None
    return obj


def reasons(h: ControllerHarness) -> list[str]:
    return [e["reason"] for e in h.events()]


async def test_a_claim_binds_the_smallest_available_volume_that_fits_and_both_become_bound():
    h = ControllerHarness()
    async with h.running(PersistentVolumeController(h.ctx)):
        for name, size in (("big", "10Gi"), ("small", "2Gi"), ("tiny", "500Mi")):
            await h.create("persistentvolumes", pv(name, size))
        await h.create("persistentvolumeclaims", pvc("data", "1Gi"))
        await h.settle()
        claim, volume = get(h, "persistentvolumeclaims", "data"), get(h, "persistentvolumes", "small")
        assert claim["spec"]["volumeName"] == "small"
        assert claim["status"] == {
            "phase": "Bound",
            "accessModes": ["ReadWriteOnce"],
            "capacity": {"storage": "2Gi"},
        }
        assert claim["metadata"]["annotations"] == {v.BIND_COMPLETED: "yes", v.BOUND_BY_CONTROLLER: "yes"}
        assert volume["spec"]["claimRef"]["uid"] == claim["metadata"]["uid"]
        assert volume["metadata"]["annotations"] == {v.BOUND_BY_CONTROLLER: "yes"}
        assert volume["status"]["phase"] == "Bound"
        assert [get(h, "persistentvolumes", n)["status"]["phase"] for n in ("big", "tiny")] == [
            "Available"
        ] * 2


async def test_class_access_modes_selector_and_volume_mode_must_all_match():
    h = ControllerHarness()
    async with h.running(PersistentVolumeController(h.ctx)):
        await h.create("persistentvolumes", pv("other-class", cls="fast"))
        await h.create("persistentvolumes", pv("rwo-only", modes=("ReadWriteOnce",)))
        await h.create("persistentvolumes", pv("block", modes=("ReadWriteMany",), volumeMode="Block"))
        await h.create("persistentvolumes", pv("unlabelled", modes=("ReadWriteMany", "ReadOnlyMany")))
        await h.create("persistentvolumes", pv("labelled", modes=("ReadWriteMany",), labels={"tier": "db"}))
        claim = pvc("shared", accessModes=["ReadWriteMany"], selector={"matchLabels": {"tier": "db"}})
        await h.create("persistentvolumeclaims", claim)
        await h.create("persistentvolumeclaims", pvc("nothing-fits", "5Gi"))
        await h.settle()
        assert get(h, "persistentvolumeclaims", "shared")["spec"]["volumeName"] == "labelled"
        stuck = get(h, "persistentvolumeclaims", "nothing-fits")
        assert "volumeName" not in stuck["spec"] and stuck["status"]["phase"] == "Pending"
        assert "FailedBinding" in reasons(h)


async def test_a_claim_naming_a_volume_bound_elsewhere_waits_with_an_event():
    h = ControllerHarness()
    async with h.running(PersistentVolumeController(h.ctx)):
        await h.create("persistentvolumes", pv("only"))
        await h.create("persistentvolumeclaims", pvc("first"))
        await h.settle()
        await h.create("persistentvolumeclaims", pvc("second", volumeName="only"))
        await h.settle()
        assert get(h, "persistentvolumeclaims", "second")["status"]["phase"] == "Pending"
        [event] = h.events("FailedBinding")
        assert event["message"] == 'volume "only" already bound to a different claim.'


async def test_a_deleted_claim_releases_its_volume_which_retain_keeps_and_delete_fails_without_a_deleter():
    h = ControllerHarness()
    async with h.running(PersistentVolumeController(h.ctx)):
        await h.create("persistentvolumes", pv("kept", persistentVolumeReclaimPolicy="Retain"))
        await h.create("persistentvolumeclaims", pvc("a"))
        await h.settle()
        await h.create("persistentvolumes", pv("deleted", persistentVolumeReclaimPolicy="Delete"))
        await h.create("persistentvolumeclaims", pvc("b"))
        await h.settle()
        claims = h.client.resource("persistentvolumeclaims")
        await claims.delete("a")
        await claims.delete("b")
        await h.settle()
        assert get(h, "persistentvolumes", "kept")["status"]["phase"] == "Released"
        failed = get(h, "persistentvolumes", "deleted")["status"]
        assert failed == {
            "phase": "Failed",
            "message": 'error getting deleter volume plugin for volume "deleted": '
            "no deletable volume plugin matched",
        }
        # A new claim of the same name is another claim: the released volume is not given back.
        await h.create("persistentvolumeclaims", pvc("a"))
        await h.advance(15)
        assert get(h, "persistentvolumeclaims", "a")["status"]["phase"] == "Pending"


async def test_a_bound_claim_whose_volume_is_gone_is_lost():
    h = ControllerHarness()
    async with h.running(PersistentVolumeController(h.ctx)):
        await h.create("persistentvolumes", pv("gone"))
        await h.create("persistentvolumeclaims", pvc("orphan"))
        await h.settle()
        await h.client.resource("persistentvolumes").delete("gone")
        await h.settle()
        assert get(h, "persistentvolumeclaims", "orphan")["status"] == {"phase": "Lost"}
        [event] = h.events("ClaimLost")
        assert event["message"] == "Bound claim has lost its PersistentVolume. Data on the volume is lost!"


async def test_wait_for_first_consumer_claims_wait_for_a_node_then_go_to_the_classs_provisioner():
    h = ControllerHarness()
    async with h.running(PersistentVolumeController(h.ctx)):
        sc = {
            "metadata": {"name": "local"},
            "provisioner": "example.com/local",
            "volumeBindingMode": "WaitForFirstConsumer",
        }
        await h.create("storageclasses", sc, group="storage.k8s.io")
        await h.create("persistentvolumes", pv("static", cls="local"))
        await h.create("persistentvolumeclaims", pvc("later", cls="local"))
        await h.settle()
        claim = get(h, "persistentvolumeclaims", "later")
        assert "volumeName" not in claim["spec"] and v.STORAGE_PROVISIONER not in v.annotations_of(claim)
        [event] = h.events("WaitForFirstConsumer")
        assert event["message"] == "waiting for first consumer to be created before binding"
        # The scheduler chose a node: the claim goes to the provisioner (the static volume
        # would have been bound by the scheduler itself, had it fitted the node).
        await h.client.resource("persistentvolumeclaims").patch(
            "later", {"metadata": {"annotations": {v.SELECTED_NODE: "n1"}}}
        )
        await h.settle()
        claim = get(h, "persistentvolumeclaims", "later")
        assert claim["spec"]["volumeName"] == "static"  # not delayed any more: the static one fits


async def test_a_claim_of_a_class_without_volumes_is_handed_to_the_external_provisioner():
    h = ControllerHarness()
    async with h.running(PersistentVolumeController(h.ctx)):
        await h.create(
            "storageclasses",
            {"metadata": {"name": "ext"}, "provisioner": "example.com/x"},
            group="storage.k8s.io",
        )
        await h.create("persistentvolumeclaims", pvc("wants", cls="ext"))
        await h.create("persistentvolumeclaims", pvc("no-class", cls="missing"))
        await h.settle()
        anns = v.annotations_of(get(h, "persistentvolumeclaims", "wants"))
        assert anns[v.STORAGE_PROVISIONER] == anns[v.BETA_STORAGE_PROVISIONER] == "example.com/x"
        [event] = h.events("ExternalProvisioning")
        assert event["message"].startswith(
            "Waiting for a volume to be created either by the external provisioner 'example.com/x'"
        )
        [failed] = h.events("ProvisioningFailed")
        assert failed["message"] == 'storageclass.storage.k8s.io "missing" not found'


async def test_local_path_provisions_a_host_path_volume_on_the_selected_node_and_deletes_it_when_released(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(
        logging.INFO, logger="kubelite"
    )  # as the controller manager logs: its lines must not fail
    h = ControllerHarness()
    h.ctx.settings = replace(h.ctx.settings, local_path_dir=str(tmp_path))
    async with h.running(PersistentVolumeController(h.ctx), LocalPathProvisioner(h.ctx)):
        node = {"metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "host-1"}}}
        await h.create("nodes", node)
        sc = h.cluster.get_object("storageclasses", "local-path", group="storage.k8s.io")
        assert sc is not None and sc["metadata"]["annotations"] == {v.IS_DEFAULT_CLASS: "true"}
        claim = pvc("data", "3Gi", cls="local-path")
        claim["metadata"]["annotations"] = {v.SELECTED_NODE: "n1"}
        await h.create("persistentvolumeclaims", claim)
        await h.settle()
        claim = get(h, "persistentvolumeclaims", "data")
        name = f"pvc-{claim['metadata']['uid']}"
        assert claim["spec"]["volumeName"] == name and claim["status"]["phase"] == "Bound"
        volume = get(h, "persistentvolumes", name)
        path = Path(volume["spec"]["hostPath"]["path"])
        assert path == tmp_path / f"{name}_default_data" and path.is_dir()
        assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
        assert volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"] == [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["host-1"]}
        ]
        # (Its Provisioning event may share a name with the binder's event of the same virtual
        # instant: two recorders, one clock reading.)
        assert "ProvisioningSucceeded" in reasons(h)
        await h.client.resource("persistentvolumeclaims").delete("data")
        await h.settle()
        assert h.cluster.get_object("persistentvolumes", name) is None
        assert not path.exists()


async def test_protection_finalizers_go_once_no_running_pod_uses_the_claim_and_the_volume_is_unbound():
    h = ControllerHarness()
    async with h.running(PVCProtectionController(h.ctx), PVProtectionController(h.ctx)):
        claim = pvc("used")
        claim["metadata"]["finalizers"] = [v.PVC_PROTECTION]
        await h.create("persistentvolumeclaims", claim)
        pod = {
            "metadata": {"name": "p"},
            "spec": {
                "nodeName": "n1",
                "containers": [{"name": "c", "image": "busybox"}],
                "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "used"}}],
            },
        }
        await h.create("pods", pod)
        volume = pv("vol")
        volume["metadata"]["finalizers"] = [v.PV_PROTECTION]
        await h.create("persistentvolumes", volume)
        pvs = h.client.resource("persistentvolumes")
        await pvs.patch("vol", {"status": {"phase": "Bound"}}, subresource="status")
        await h.client.resource("persistentvolumeclaims").delete("used")
        await h.client.resource("persistentvolumes").delete("vol")
        await h.settle()
        assert get(h, "persistentvolumeclaims", "used")["metadata"]["deletionTimestamp"]
        assert get(h, "persistentvolumes", "vol")["metadata"]["deletionTimestamp"]
        await h.client.resource("pods").patch("p", {"status": {"phase": "Succeeded"}}, subresource="status")
        await h.client.resource("persistentvolumes").patch(
            "vol", {"status": {"phase": "Released"}}, subresource="status"
        )
        await h.settle()
        assert h.cluster.get_object("persistentvolumeclaims", "used", "default") is None
        assert h.cluster.get_object("persistentvolumes", "vol") is None
