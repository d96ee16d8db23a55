"""Static pods against a real API server and a real runtime: a manifest in the kubelet's
--pod-manifest-path runs a pod shown in the API as its mirror; editing the file replaces
the pod and its mirror, removing it stops both, deleting the mirror through the API gets
it recreated, and a bad manifest is logged and skipped while the others keep running."""

from __future__ import annotations

import logging

import yaml

from kubelite.api.errors import NotFound
from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.criconfig import POD_NAME
from kubelite.util.testing import wait_for_async

SOURCE, HASH = "kubernetes.io/config.source", "kubernetes.io/config.hash"
MIRROR = "kubernetes.io/config.mirror"


def _manifest(image: str, script: str, **annotations) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "static-web", "annotations": annotations},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {
                    "name": "web",
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["sh", "-c", script],
                }
            ],
        },
    }


class StaticPod:
    """One static pod of the test's kubelet, seen through its file, the API and the CRI."""

    def __init__(self, api, kubelet, file: str = "web.yaml", name: str = "static-web") -> None:
        self.kubelet = kubelet
        self.path = kubelet.options.pod_manifest_path / file
        self.pods = api.resource("pods")
        self.name = f"{name}-{kubelet.node_name}"

    def write(self, manifest: dict) -> None:
        tmp = self.path.with_name("." + self.path.name)  # written whole, as editors and kubeadm do
        tmp.write_text(yaml.safe_dump(manifest))
        tmp.rename(self.path)

    async def mirror(self) -> dict | None:
        try:
            return await self.pods.get(self.name, namespace="default")
        except NotFound:
            return None

    async def running_mirror(self, pred=lambda m: True, what: str = "the mirror pod running") -> dict:
        async def check():
            m = await self.mirror()
            if m is None or m.get("status", {}).get("phase") != "Running" or not pred(m):
                return None
            return m

        return await wait_for_async(check, timeout=30, what=what)

    async def gone(self) -> None:
        async def check():
            return await self.mirror() is None

        await wait_for_async(check, what="the mirror pod to go")

    async def running_containers(self) -> list[pb.Container]:
        """The pod's containers that run on the node (of any instance of the static pod)."""
        listed = await self.kubelet.runtime.list_containers(
            pb.ContainerFilter(
                state=pb.ContainerStateValue(state=pb.CONTAINER_RUNNING), label_selector={POD_NAME: self.name}
            )
        )
        return listed


def _container(m: dict) -> dict:
    return m["status"]["containerStatuses"][0]


async def test_static_pod_runs_with_a_mirror_and_stops_when_its_file_goes(api, kubelet, registry):
    pod = StaticPod(api, kubelet)
    pod.write(_manifest(f"{registry}/busybox:latest", "exec sleep 300"))
    m = await pod.running_mirror()
    a = m["metadata"]["annotations"]
    assert a[SOURCE] == "file" and a[MIRROR] == a[HASH]
    assert m["metadata"]["uid"] != a[HASH]  # the API gives the mirror its own uid
    owner = m["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"]) == ("Node", kubelet.node_name)
    assert m["spec"]["nodeName"] == kubelet.node_name
    assert len(await pod.running_containers()) == 1
    pod.path.unlink()
    await pod.gone()

    async def stopped():
        return not await pod.running_containers()

    await wait_for_async(stopped, what="the static pod's container to stop")


async def test_editing_the_manifest_replaces_the_pod_and_its_mirror(api, kubelet, registry):
    pod = StaticPod(api, kubelet)
    image = f"{registry}/busybox:latest"
    pod.write(_manifest(image, "echo one > /tmp/version; exec sleep 300", release="one"))
    old = await pod.running_mirror()
    old_cid = _container(old)["containerID"]

    pod.write(_manifest(image, "echo two > /tmp/version; exec sleep 300", release="two"))
    new = await pod.running_mirror(
        lambda m: (
            m["metadata"]["annotations"].get("release") == "two" and _container(m)["containerID"] != old_cid
        ),
        what="the mirror of the edited manifest running",
    )
    a, old_a = new["metadata"]["annotations"], old["metadata"]["annotations"]
    assert a[HASH] != old_a[HASH] and a[MIRROR] == a[HASH] and a[SOURCE] == "file"
    assert new["metadata"]["uid"] != old["metadata"]["uid"]
    c = _container(new)
    assert c["restartCount"] == 0 and c["ready"]

    # The old pod's container is stopped; the one running has the new command.
    async def only_the_new_one():
        running = await pod.running_containers()
        return running if [x.id for x in running] == [c["containerID"].split("://", 1)[1]] else None

    [running] = await wait_for_async(only_the_new_one, what="the old pod's container to stop")
    r = await kubelet.runtime.exec_sync(running.id, ["cat", "/tmp/version"], timeout=5)
    assert r.stdout.decode().strip() == "two"
    pod.path.unlink()
    await pod.gone()


async def test_a_deleted_mirror_pod_is_recreated(api, kubelet, registry):
    pod = StaticPod(api, kubelet)
    pod.write(_manifest(f"{registry}/busybox:latest", "exec sleep 300"))
    m = await pod.running_mirror()
    await pod.pods.delete(pod.name, namespace="default")
    again = await pod.running_mirror(
        lambda x: x["metadata"]["uid"] != m["metadata"]["uid"],
        what="a new mirror pod, showing the static pod running",
    )
    assert again["metadata"]["annotations"][MIRROR] == m["metadata"]["annotations"][MIRROR]
    # Only the mirror was replaced: the static pod ran on, untouched.
    c, before = _container(again), _container(m)
    assert (c["containerID"], c["restartCount"]) == (before["containerID"], 0)
    assert c["state"]["running"]["startedAt"] == before["state"]["running"]["startedAt"]
    pod.path.unlink()
    await pod.gone()


async def test_a_bad_manifest_is_logged_and_skipped(api, kubelet, registry, caplog):
    caplog.set_level(logging.WARNING, logger="kubelite.kubelet")
    folder = kubelet.options.pod_manifest_path
    image = f"{registry}/busybox:latest"
    (folder / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n")
    (folder / "not-a-map.yaml").write_text("- just\n- a list\n")
    (folder / "bad-metadata.yaml").write_text(yaml.safe_dump({"kind": "Pod", "metadata": ["x"], "spec": {}}))
    (folder / "bad-spec.json").write_text('{"kind": "Pod", "metadata": {"name": "bad-spec"}, "spec": "x"}')
    no_containers = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "empty"}, "spec": {}}
    (folder / "empty.yaml").write_text(yaml.safe_dump(no_containers))
    bad_name = _manifest(image, "exec sleep 300")
    bad_name["metadata"]["name"] = "Not_A_DNS_Name"
    (folder / "bad-name.yaml").write_text(yaml.safe_dump(bad_name))
    good = StaticPod(api, kubelet)
    good.write(_manifest(image, "exec sleep 300"))
    await good.running_mirror(what="the good static pod running beside the bad manifests")
    assert kubelet.static_pods is not None
    checks = kubelet.static_pods.checks
    await wait_for_async(lambda: kubelet.static_pods.checks >= checks + 3, "three more checks of the folder")
    listed = await api.resource("pods").list(
        namespace="default", field_selector=f"spec.nodeName={kubelet.node_name}"
    )
    assert [p["metadata"]["name"] for p in listed["items"]] == [good.name]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "static pod manifest" in logged, logged
    node = await api.resource("nodes").get(kubelet.node_name)
    assert {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"] == "True"

    # The broken file mended: its pod runs too.
    fixed = StaticPod(api, kubelet, file="broken.yaml", name="mended")
    fixed.write({**_manifest(image, "exec sleep 300"), "metadata": {"name": "mended"}})
    await fixed.running_mirror(what="the mended manifest's pod running")
    for f in folder.iterdir():
        f.unlink()
    await good.gone()
    await fixed.gone()
