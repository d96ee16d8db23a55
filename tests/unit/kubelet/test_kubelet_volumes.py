"""Pod volumes on the node: the atomic writer, each volume kind, mounts, and clean-up."""

from __future__ import annotations

import base64
import os
import socket
from pathlib import Path

import pytest

from kubelite.api.meta import format_wall
from kubelite.kubelet.envvars import EnvError, container_env
from kubelite.kubelet.volumes import atomic_writer
from kubelite.kubelet.volumes.atomic_writer import FileProjection
from kubelite.kubelet.volumes.manager import MountFailed, VolumeManager
from kubelite.util.clock import FakeClock


class FakeSources:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.config_maps: dict[tuple[str, str], dict] = {}
        self.secrets: dict[tuple[str, str], dict] = {}
        self.token_requests: list[tuple[str, str, dict]] = []
        self.claims: dict[tuple[str, str], dict] = {}
        self.volumes: dict[str, dict] = {}
        self.service_list: list[dict] | None = []

    async def config_map(self, namespace, name):
        return self.config_maps.get((namespace, name))

    async def secret(self, namespace, name):
        return self.secrets.get((namespace, name))

    def services(self):
        return self.service_list

    async def claim(self, namespace, name):
        return self.claims.get((namespace, name))

    async def persistent_volume(self, name):
        return self.volumes.get(name)

    async def token(self, namespace, service_account, request):
        self.token_requests.append((namespace, service_account, request))
        ttl = request["spec"]["expirationSeconds"]
        return {
            "spec": {**request["spec"]},
            "status": {
                "token": f"token-{len(self.token_requests)}",
                "expirationTimestamp": format_wall(self.clock.wall() + ttl),
            },
        }


def _pod(volumes, mounts=(), **md):
    return {
        "metadata": {"name": "p", "namespace": "ns", "uid": "uid-1", **md},
        "spec": {
            "serviceAccountName": "default",
            "containers": [{"name": "c", "image": "busybox", "volumeMounts": list(mounts)}],
            "volumes": volumes,
        },
    }


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sources(clock):
    return FakeSources(clock)


@pytest.fixture
def manager(tmp_path, sources, clock):
    return VolumeManager(tmp_path / "kubelet", sources, clock)


def _vol(manager, pod, name):
    v = next(v for v in pod["spec"]["volumes"] if v["name"] == name)
    return manager.path_of(pod, v)


def test_the_atomic_writer_publishes_files_through_the_data_symlink_and_swaps_it_on_change(tmp_path):
    target = tmp_path / "vol"
    assert atomic_writer.write(target, {"a": FileProjection(b"1"), "d/b": FileProjection(b"2", 0o600)})
    first = os.readlink(target / "..data")
    assert first.startswith("..") and (target / first).is_dir()
    assert os.readlink(target / "a") == "..data/a" and (target / "a").read_bytes() == b"1"
    assert (target / "d" / "b").read_bytes() == b"2"
    assert (target / "d" / "b").stat().st_mode & 0o777 == 0o600
    assert not atomic_writer.write(target, {"a": FileProjection(b"1"), "d/b": FileProjection(b"2", 0o600)})
    assert atomic_writer.write(target, {"a": FileProjection(b"new")})
    assert (target / "a").read_bytes() == b"new"
    assert not (target / "d").exists() and not (target / first).exists()
    assert sorted(p.name for p in target.iterdir() if not p.name.startswith("..")) == ["a"]


def test_the_atomic_writer_refuses_paths_that_leave_the_volume(tmp_path):
    with pytest.raises(ValueError):
        atomic_writer.write(tmp_path / "v", {"../evil": FileProjection(b"")})


async def test_a_config_map_volume_projects_its_items_with_their_modes_and_follows_changes(manager, sources):
    sources.config_maps["ns", "cfg"] = {"data": {"a.conf": "one", "b": "two"}}
    pod = _pod(
        [
            {
                "name": "v",
                "configMap": {
                    "name": "cfg",
                    "defaultMode": 0o640,
                    "items": [{"key": "a.conf", "path": "x/a"}],
                },
            }
        ]
    )
    await manager.set_up(pod)
    d = _vol(manager, pod, "v")
    assert (d / "x" / "a").read_text() == "one" and not (d / "b").exists()
    assert (d / "x" / "a").stat().st_mode & 0o777 == 0o640
    sources.config_maps["ns", "cfg"] = {"data": {"a.conf": "changed"}}
    await manager.set_up(pod)
    assert (d / "x" / "a").read_text() == "changed"


async def test_a_missing_config_map_fails_the_mount_with_kubernetes_message_unless_optional(manager):
    pod = _pod([{"name": "v", "configMap": {"name": "nope"}}])
    with pytest.raises(MountFailed) as err:
        await manager.set_up(pod)
    assert str(err.value) == 'MountVolume.SetUp failed for volume "v" : configmap "nope" not found'
    assert not manager.ready(pod)
    optional = _pod([{"name": "v", "configMap": {"name": "nope", "optional": True}}])
    await manager.set_up(optional)
    assert manager.ready(optional)


async def test_a_config_map_item_naming_a_missing_key_fails_the_mount(manager, sources):
    sources.config_maps["ns", "cfg"] = {"data": {"a": "1"}}
    pod = _pod([{"name": "v", "configMap": {"name": "cfg", "items": [{"key": "zz", "path": "z"}]}}])
    with pytest.raises(MountFailed, match="configmap references non-existent config key: zz"):
        await manager.set_up(pod)


async def test_a_secret_volume_decodes_its_items_and_applies_the_item_mode(manager, sources):
    enc = base64.b64encode(b"s3cret").decode()
    sources.secrets["ns", "s"] = {"data": {"password": enc, "other": enc}}
    pod = _pod(
        [
            {
                "name": "v",
                "secret": {"secretName": "s", "items": [{"key": "password", "path": "pw", "mode": 0o400}]},
            }
        ]
    )
    await manager.set_up(pod)
    d = _vol(manager, pod, "v")
    assert (d / "pw").read_bytes() == b"s3cret" and not (d / "other").exists()
    assert (d / "pw").stat().st_mode & 0o777 == 0o400
    missing = _pod([{"name": "v", "secret": {"secretName": "gone"}}])
    with pytest.raises(MountFailed, match='secret "gone" not found'):
        await manager.set_up(missing)


async def test_a_downward_api_volume_writes_labels_sorted_and_quoted_and_follows_label_changes(manager):
    vol = {
        "name": "info",
        "downwardAPI": {
            "items": [
                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
                {
                    "path": "mem",
                    "resourceFieldRef": {"containerName": "c", "resource": "limits.memory", "divisor": "1Mi"},
                },
            ]
        },
    }
    pod = _pod([vol], labels={"b": "2", "a": 'say "hi"'})
    pod["spec"]["containers"][0]["resources"] = {"limits": {"memory": "64Mi"}}
    await manager.set_up(pod)
    d = _vol(manager, pod, "info")
    assert (d / "labels").read_text() == 'a="say \\"hi\\""\nb="2"'
    assert (d / "name").read_text() == "p" and (d / "mem").read_text() == "64"
    pod["metadata"]["labels"]["c"] = "3"
    await manager.set_up(pod)
    assert (d / "labels").read_text().endswith('\nc="3"')


def _access_volume():
    return {
        "name": "kube-api-access-abcde",
        "projected": {
            "defaultMode": 0o644,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]
                    }
                },
            ],
        },
    }


async def test_the_service_account_volume_holds_a_bound_token_the_ca_and_the_namespace(manager, sources):
    sources.config_maps["ns", "kube-root-ca.crt"] = {"data": {"ca.crt": "PEM"}}
    pod = _pod([_access_volume()])
    await manager.set_up(pod)
    d = _vol(manager, pod, "kube-api-access-abcde")
    assert (d / "token").read_text() == "token-1"
    assert (d / "ca.crt").read_text() == "PEM" and (d / "namespace").read_text() == "ns"
    ns, sa, req = sources.token_requests[0]
    assert (ns, sa) == ("ns", "default")
    assert req["spec"]["boundObjectRef"] == {"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "uid-1"}
    assert req["spec"]["expirationSeconds"] == 3607


async def test_a_projected_token_is_reused_until_80_percent_of_its_lifetime_has_passed(
    manager, sources, clock
):
    sources.config_maps["ns", "kube-root-ca.crt"] = {"data": {"ca.crt": "PEM"}}
    pod = _pod([_access_volume()])
    await manager.set_up(pod)
    await clock.advance(3607 * 0.8 - 60)
    await manager.set_up(pod)
    assert len(sources.token_requests) == 1
    await clock.advance(61)
    await manager.set_up(pod)
    assert len(sources.token_requests) == 2
    assert (_vol(manager, pod, "kube-api-access-abcde") / "token").read_text() == "token-2"


async def test_a_long_lived_token_is_refreshed_after_24_hours(manager, sources, clock):
    vol = {"name": "t", "projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 7 * 86400}}]}}
    pod = _pod([vol])
    await manager.set_up(pod)
    await clock.advance(86400 - 60)
    await manager.set_up(pod)
    assert len(sources.token_requests) == 1
    await clock.advance(61)
    await manager.set_up(pod)
    assert len(sources.token_requests) == 2


async def test_host_path_types_are_checked_with_kubernetes_messages(manager, tmp_path):
    made = tmp_path / "made" / "dir"
    f = tmp_path / "file"
    f.write_text("x")
    await manager.set_up(_pod([{"name": "d", "hostPath": {"path": str(made), "type": "DirectoryOrCreate"}}]))
    assert made.is_dir()
    await manager.set_up(
        _pod([{"name": "f", "hostPath": {"path": str(tmp_path / "nf"), "type": "FileOrCreate"}}])
    )
    assert (tmp_path / "nf").is_file()
    cases = [
        ("Directory", f, "is not a directory"),
        ("File", made, "is not a file"),
        ("Socket", f, "is not a socket file"),
        ("CharDevice", f, "is not a character device"),
        ("BlockDevice", f, "is not a block device"),
    ]
    for kind, path, msg in cases:
        with pytest.raises(MountFailed) as err:
            await manager.set_up(_pod([{"name": "h", "hostPath": {"path": str(path), "type": kind}}]))
        assert (
            str(err.value)
            == f'MountVolume.SetUp failed for volume "h" : hostPath type check failed: {path} {msg}'
        )
    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock_path))
        await manager.set_up(_pod([{"name": "s", "hostPath": {"path": str(sock_path), "type": "Socket"}}]))


async def test_volume_mounts_become_cri_mounts_with_sub_paths_and_api_data_read_only(manager, sources):
    sources.config_maps["ns", "cfg"] = {"data": {"app.conf": "x"}}
    pod = _pod(
        [{"name": "cache", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cfg"}}],
        mounts=[
            {"name": "cache", "mountPath": "/cache"},
            {"name": "cache", "mountPath": "/logs", "subPath": "logs"},
            {"name": "cfg", "mountPath": "/etc/app"},
            {"name": "cfg", "mountPath": "/etc/app.conf", "subPath": "app.conf"},
        ],
    )
    await manager.set_up(pod)
    mounts = manager.mounts(pod, pod["spec"]["containers"][0])
    cache, cfg = _vol(manager, pod, "cache"), _vol(manager, pod, "cfg")
    assert [(m.container_path, m.host_path, m.readonly) for m in mounts[:3]] == [
        ("/cache", str(cache), False),
        ("/logs", str(cache / "logs"), False),
        ("/etc/app", str(cfg), True),
    ]
    assert (cache / "logs").is_dir()
    assert Path(mounts[3].host_path).read_text() == "x" and ".." in mounts[3].host_path
    assert not any(m.selinux_relabel for m in mounts)


async def test_a_bound_claim_mounts_its_host_path_volume_read_only_when_the_claim_says_so(
    manager, sources, tmp_path
):
    volumes = [
        {"name": "data", "persistentVolumeClaim": {"claimName": "www"}},
        {"name": "ro", "persistentVolumeClaim": {"claimName": "www", "readOnly": True}},
    ]
    mounts = [{"name": "data", "mountPath": "/data"}, {"name": "ro", "mountPath": "/ro"}]
    pod = _pod(volumes, mounts)
    with pytest.raises(MountFailed) as failed:
        await manager.set_up(pod)
    assert str(failed.value) == (
        'MountVolume.SetUp failed for volume "data" : persistentvolumeclaim "www" not found'
    )
    sources.claims["ns", "www"] = {"spec": {}, "status": {"phase": "Pending"}}
    with pytest.raises(MountFailed) as failed:
        await manager.set_up(pod)
    assert str(failed.value).endswith(
        'PVC ns/www has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")'
    )
    host = tmp_path / "storage" / "pvc-1"
    sources.claims["ns", "www"] = {"spec": {"volumeName": "pvc-1"}, "status": {"phase": "Bound"}}
    sources.volumes["pvc-1"] = {"spec": {"hostPath": {"path": str(host), "type": "DirectoryOrCreate"}}}
    await manager.set_up(pod)
    assert host.is_dir() and manager.ready(pod)
    got = [
        (m.container_path, m.host_path, m.readonly) for m in manager.mounts(pod, pod["spec"]["containers"][0])
    ]
    assert got == [("/data", str(host), False), ("/ro", str(host), True)]
    await manager.tear_down(pod)
    assert host.is_dir()  # the claim's data outlives the pod


async def test_sub_path_expr_is_expanded_from_the_containers_environment(manager):
    pod = _pod(
        [{"name": "logs", "emptyDir": {}}],
        mounts=[{"name": "logs", "mountPath": "/l", "subPathExpr": "$(POD)"}],
    )
    await manager.set_up(pod)
    [mount] = manager.mounts(pod, pod["spec"]["containers"][0], {"POD": "p"})
    assert mount.host_path == str(_vol(manager, pod, "logs") / "p")
    from kubelite.kubelet.volumes.errors import VolumeError

    container = pod["spec"]["containers"][0]
    for env, message in (
        ({}, "missing value for POD"),
        ({"POD": ""}, "missing value for POD"),
        ({"POD": ".."}, "must not contain '..'"),
        ({"POD": "/abs"}, "error SubPath `/abs` must not be an absolute path"),
    ):
        with pytest.raises(VolumeError) as err:
            manager.mounts(pod, container, env)
        assert str(err.value) == message


async def test_api_sources_reuse_an_answer_for_a_second(clock):
    from kubelite.kubelet.testing import FakeAPI
    from kubelite.kubelet.volumes.sources import APISources

    api = FakeAPI()
    await api.resource("configmaps").create(
        {"metadata": {"name": "c", "namespace": "ns"}, "data": {"k": "1"}}
    )
    sources = APISources(api, clock)
    assert (await sources.config_map("ns", "c"))["data"] == {"k": "1"}
    await api.resource("configmaps").patch("c", {"data": {"k": "2"}}, namespace="ns")
    assert (await sources.config_map("ns", "c"))["data"] == {"k": "1"}
    await clock.advance(1.0)
    assert (await sources.config_map("ns", "c"))["data"] == {"k": "2"}
    assert await sources.secret("ns", "none") is None


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
async def test_secret_and_projected_volumes_live_on_a_tmpfs_released_with_the_pod(tmp_path, sources, clock):
    manager = VolumeManager(tmp_path / "kubelet", sources, clock, secrets_in_memory=True)
    sources.secrets["ns", "s"] = {"data": {"k": base64.b64encode(b"v").decode()}}
    pod = _pod([{"name": "sec", "secret": {"secretName": "s"}}])
    try:
        await manager.set_up(pod)
        await manager.set_up(pod)
        d = _vol(manager, pod, "sec")
        with open("/proc/mounts") as f:
            assert [line.split()[0] for line in f if line.split()[1] == str(d)] == ["tmpfs"]
        assert (d / "k").read_bytes() == b"v"
    finally:
        await manager.tear_down(pod)
    with open("/proc/mounts") as f:
        assert str(tmp_path) not in f.read()
    assert not manager.pod_dir("uid-1").exists()


async def test_the_volumes_of_pods_no_longer_known_are_removed(manager, sources):
    sources.config_maps["ns", "cfg"] = {"data": {"a": "1"}}
    keep = _pod([{"name": "cfg", "configMap": {"name": "cfg"}}])
    orphan = _pod([{"name": "cache", "emptyDir": {}}], uid="uid-2")
    await manager.set_up(keep)
    await manager.set_up(orphan)
    assert await manager.remove_orphans({"uid-1"}) == ["uid-2"]
    assert manager.pod_dir("uid-1").is_dir() and not manager.pod_dir("uid-2").exists()


async def test_a_pods_volumes_are_removed_with_it(manager, sources):
    sources.config_maps["ns", "cfg"] = {"data": {"a": "1"}}
    pod = _pod([{"name": "cache", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cfg"}}])
    await manager.set_up(pod)
    assert manager.pod_dir("uid-1").is_dir()
    await manager.tear_down(pod)
    assert not manager.pod_dir("uid-1").exists() and not manager.ready(pod)


def _syncer(clock, volumes, events):
    from kubelite.kubelet.backoff import Backoff
    from kubelite.kubelet.prober.manager import ProbeManager
    from kubelite.kubelet.sync import PodSyncer
    from kubelite.kubelet.testing import FakeRuntime

    runtime = FakeRuntime(clock, images=["busybox"])
    syncer = PodSyncer(
        runtime,
        clock=clock,
        probes=ProbeManager(runtime, clock, on_change=lambda _: None),
        record=lambda pod, t, r, m: events.append((t, r, m)),
        crash_backoff=Backoff(clock, initial=10, maximum=300),
        pull_backoff=Backoff(clock, initial=10, maximum=300),
        log_root=Path("/tmp/logs"),
        host_ip="10.0.0.1",
        volumes=volumes,
    )
    return runtime, syncer


async def test_a_pod_whose_config_map_is_missing_does_not_start_until_it_appears(manager, sources, clock):
    events: list = []
    runtime, syncer = _syncer(clock, manager, events)
    pod = _pod(
        [{"name": "cfg", "configMap": {"name": "later"}}], mounts=[{"name": "cfg", "mountPath": "/etc/x"}]
    )
    pod["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    result = await syncer.sync(pod)
    assert runtime.calls_to("run_pod_sandbox") == [] and result.retry_in == 2.0
    assert events == [
        ("Warning", "FailedMount", 'MountVolume.SetUp failed for volume "cfg" : configmap "later" not found')
    ]
    sources.config_maps["ns", "later"] = {"data": {"k": "v"}}
    await syncer.sync(pod)
    [container] = runtime.containers.values()
    [mount] = [m for m in container.config.mounts if m.container_path == "/etc/x"]
    assert (mount.container_path, mount.host_path, mount.readonly) == (
        "/etc/x",
        str(_vol(manager, pod, "cfg")),
        True,
    )


async def test_env_comes_from_config_maps_secrets_fields_and_resources_with_prefixes_and_expansion(sources):
    from kubelite.kubelet.envvars import container_env

    sources.config_maps["ns", "cfg"] = {"data": {"MODE": "fast", "LEVEL": "3"}}
    sources.secrets["ns", "s"] = {"data": {"pw": base64.b64encode(b"hunter2").decode()}}
    pod = _pod([])
    c = {
        "name": "c",
        "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
        "envFrom": [
            {"configMapRef": {"name": "cfg"}, "prefix": "APP_"},
            {"secretRef": {"name": "gone", "optional": True}},
        ],
        "env": [
            {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw"}}},
            {"name": "M", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "MODE"}}},
            {"name": "NOPE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "x", "optional": True}}},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}}},
            {
                "name": "MEM",
                "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}},
            },
            {"name": "URL", "value": "$(POD):$(APP_LEVEL)/$(UNSET)/$$(POD)"},
        ],
    }
    pod["spec"]["containers"] = [c]
    c["env"].append(
        {"name": "NODE_MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.ephemeral-storage"}}}
    )
    env = await container_env(pod, c, sources, pod_ip="10.0.0.5", allocatable={"ephemeral-storage": "1Ki"})
    assert env == {
        "APP_MODE": "fast",
        "APP_LEVEL": "3",
        "PW": "hunter2",
        "M": "fast",
        "POD": "p",
        "CPU": "500",
        "MEM": "128",
        "URL": "p:3/$(UNSET)/$(POD)",
        "NODE_MEM": "1024",
    }


async def test_a_missing_env_source_is_create_container_config_error_with_kubernetes_message(
    manager, sources, clock
):
    events: list = []
    runtime, syncer = _syncer(clock, manager, events)
    sources.config_maps["ns", "cfg"] = {"data": {"a": "1"}}
    pod = _pod([])
    pod["spec"]["containers"][0].update(
        imagePullPolicy="IfNotPresent",
        command=["echo", "$(A)"],
        env=[
            {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "a"}}},
            {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "b"}}},
        ],
    )
    result = await syncer.sync(pod)
    assert result.waiting["c"] == ("CreateContainerConfigError", "couldn't find key b in ConfigMap ns/cfg")
    assert ("Warning", "Failed", "Error: couldn't find key b in ConfigMap ns/cfg") in events
    sources.config_maps["ns", "cfg"] = {"data": {"a": "1", "b": "2"}}
    await syncer.sync(pod)
    [container] = runtime.containers.values()
    assert list(container.config.command) == ["echo", "1"]
    assert {kv.key: kv.value for kv in container.config.envs} == {"A": b"1", "B": b"2"}


def _svc(name, ns, ip, *ports):
    return {"metadata": {"name": name, "namespace": ns}, "spec": {"clusterIP": ip, "ports": list(ports)}}


async def test_service_links_give_docker_style_variables_below_the_containers_own_env(sources):
    sources.service_list = [
        _svc("kubernetes", "default", "10.96.0.1", {"name": "https", "port": 443, "protocol": "TCP"}),
        _svc("web-front", "ns", "10.96.0.20", {"port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}),
        _svc("headless", "ns", "None", {"port": 80}),
        _svc("elsewhere", "other", "10.96.0.30", {"port": 80}),
    ]
    pod = _pod([])
    c = {
        "name": "c",
        "env": [
            {"name": "URL", "value": "$(WEB_FRONT_SERVICE_HOST):$(WEB_FRONT_SERVICE_PORT)"},
            {"name": "WEB_FRONT_SERVICE_PORT", "value": "mine"},
        ],
    }
    env = await container_env(pod, c, sources)
    assert env["URL"] == "10.96.0.20:80" and env["WEB_FRONT_SERVICE_PORT"] == "mine"
    assert {k: v for k, v in env.items() if k.startswith("WEB_FRONT") and k != "WEB_FRONT_SERVICE_PORT"} == {
        "WEB_FRONT_SERVICE_HOST": "10.96.0.20",
        "WEB_FRONT_SERVICE_PORT_DNS": "53",
        "WEB_FRONT_PORT": "tcp://10.96.0.20:80",
        "WEB_FRONT_PORT_80_TCP": "tcp://10.96.0.20:80",
        "WEB_FRONT_PORT_80_TCP_PROTO": "tcp",
        "WEB_FRONT_PORT_80_TCP_PORT": "80",
        "WEB_FRONT_PORT_80_TCP_ADDR": "10.96.0.20",
        "WEB_FRONT_PORT_53_UDP": "udp://10.96.0.20:53",
        "WEB_FRONT_PORT_53_UDP_PROTO": "udp",
        "WEB_FRONT_PORT_53_UDP_PORT": "53",
        "WEB_FRONT_PORT_53_UDP_ADDR": "10.96.0.20",
    }
    assert env["KUBERNETES_SERVICE_PORT_HTTPS"] == "443" and env["KUBERNETES_PORT"] == "tcp://10.96.0.1:443"
    assert not any(k.startswith(("HEADLESS", "ELSEWHERE")) for k in env)
    pod["spec"]["enableServiceLinks"] = False
    env = await container_env(pod, {"name": "c"}, sources)
    assert sorted({k.split("_")[0] for k in env}) == ["KUBERNETES"]
    sources.service_list = None
    with pytest.raises(EnvError) as err:
        await container_env(pod, {"name": "c"}, sources)
    assert str(err.value) == "services have not yet been read at least once, cannot construct envvars"


async def test_fs_group_owns_empty_dir_and_config_map_volumes_with_setgid_directories(manager, sources):
    import stat

    from kubelite.kubelet.volumes.ownership import supplemental_groups

    sources.config_maps["ns", "cfg"] = {"data": {"a": "1"}}
    pod = _pod(
        [
            {"name": "scratch", "emptyDir": {}},
            {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 0o400}},
        ]
    )
    pod["spec"]["securityContext"] = {"fsGroup": 2345, "supplementalGroups": [7]}
    await manager.set_up(pod)
    await manager.set_up(pod)  # a later sync keeps what the first did
    scratch, cfg = _vol(manager, pod, "scratch"), _vol(manager, pod, "cfg")
    st = scratch.stat()
    assert st.st_gid == 2345 and st.st_mode & stat.S_ISGID and st.st_mode & 0o070 == 0o070
    f = (cfg / "a").resolve().stat()
    assert f.st_gid == 2345 and stat.S_IMODE(f.st_mode) == 0o440  # defaultMode ORed with group read
    assert supplemental_groups(pod) == [7, 2345]
    # OnRootMismatch leaves a volume whose root is already right alone.
    (scratch / "later").write_text("x")
    os.chown(scratch / "later", 0, 0)
    pod["spec"]["securityContext"]["fsGroupChangePolicy"] = "OnRootMismatch"
    from kubelite.kubelet.volumes.ownership import apply

    assert not apply(scratch, pod)
    assert (scratch / "later").stat().st_gid == 0


def test_a_memory_empty_dir_is_sized_by_the_smallest_of_allocatable_pod_limit_and_size_limit():
    from kubelite.kubelet.volumes.emptydir import memory_size

    def pod_with(*limits):
        cs = [
            {"name": f"c{i}", "resources": {"limits": {"memory": m}} if m else {}}
            for i, m in enumerate(limits)
        ]
        return {"spec": {"containers": cs}}

    assert memory_size({"medium": "Memory"}, pod_with(None), "8Gi") == 8 * 2**30
    assert memory_size({"medium": "Memory"}, pod_with("1Gi", "1Gi"), "8Gi") == 2 * 2**30
    assert memory_size({"medium": "Memory", "sizeLimit": "64Mi"}, pod_with("1Gi"), "8Gi") == 64 * 2**20
    assert memory_size({"medium": "Memory"}, pod_with(None), "") == 0


def test_a_zero_divisor_means_one_as_go_clients_send_an_unset_divisor():
    from kubelite.kubelet.volumes.downwardapi import resource_value

    pod = {
        "spec": {
            "containers": [
                {"name": "c", "resources": {"requests": {"cpu": "250m"}, "limits": {"cpu": "1250m"}}}
            ]
        }
    }
    assert resource_value(pod, {"resource": "requests.cpu", "divisor": "0"}, container="c") == "1"
    assert resource_value(pod, {"resource": "limits.cpu", "divisor": "0"}, container="c") == "2"
