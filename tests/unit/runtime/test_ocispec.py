"""The OCI spec (config.json) the runtime writes for a CRI CreateContainer request."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.runtime import ocispec

IMAGE = {
    "Entrypoint": ["/entry"],
    "Cmd": ["--serve"],
    "Env": ["PATH=/image/bin", "FROM_IMAGE=1", "OVERRIDDEN=image"],
    "WorkingDir": "/srv",
    "User": "app",
}


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(
        "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n"
    )
    return tmp_path


def build(rootfs: Path, config: pb.ContainerConfig, image: dict | None = None, **kw) -> dict:
    args = {
        "config": config,
        "image_config": IMAGE if image is None else image,
        "rootfs": rootfs,
        "sandbox_files": {"/etc/hosts": Path("/sandbox/hosts")},
        "namespaces": {"net": Path("/ns/net"), "ipc": Path("/ns/ipc"), "uts": Path("/ns/uts")},
        "hostname": "pod-1",
        "cgroups_path": "/kubelite/pod-1/kubelite-c1",
    }
    return ocispec.build(**{**args, **kw})


def test_the_image_supplies_what_the_request_leaves_out(rootfs):
    spec = build(rootfs, pb.ContainerConfig())
    p = spec["process"]
    assert p["args"] == ["/entry", "--serve"]
    assert p["cwd"] == "/srv"
    assert (p["user"]["uid"], p["user"]["gid"]) == (1000, 1001)  # "app" from the image's /etc/passwd
    assert spec["root"] == {"path": str(rootfs), "readonly": False}
    assert spec["linux"]["cgroupsPath"] == "/kubelite/pod-1/kubelite-c1"


def test_command_replaces_entrypoint_and_drops_the_image_cmd_as_kubernetes_does(rootfs):
    assert build(rootfs, pb.ContainerConfig(command=["/bin/sh"]))["process"]["args"] == ["/bin/sh"]
    assert build(rootfs, pb.ContainerConfig(args=["-x"]))["process"]["args"] == ["/entry", "-x"]
    both = pb.ContainerConfig(command=["sh", "-c"], args=["echo hi"])
    assert build(rootfs, both)["process"]["args"] == ["sh", "-c", "echo hi"]
    with pytest.raises(ValueError, match="no command"):
        build(rootfs, pb.ContainerConfig(), image={})


def test_environment_is_image_then_hostname_then_request_with_later_winning(rootfs):
    cfg = pb.ContainerConfig(
        envs=[pb.KeyValue(key="OVERRIDDEN", value=b"request"), pb.KeyValue(key="NEW", value=b"1")]
    )
    env = build(rootfs, cfg)["process"]["env"]
    assert env == ["PATH=/image/bin", "FROM_IMAGE=1", "OVERRIDDEN=request", "HOSTNAME=pod-1", "NEW=1"]


def test_run_as_user_and_group_override_the_image_user(rootfs):
    cfg = pb.ContainerConfig()
    sc = cfg.linux.security_context
    sc.run_as_user.value = 42
    sc.run_as_group.value = 43
    sc.supplemental_groups.extend([7, 8])
    assert build(rootfs, cfg)["process"]["user"] == {"uid": 42, "gid": 43, "additionalGids": [43, 7, 8]}
    with pytest.raises(ValueError, match="not found"):
        build(rootfs, pb.ContainerConfig(), image={**IMAGE, "User": "ghost"})


def test_capabilities_are_the_defaults_plus_added_minus_dropped(rootfs):
    cfg = pb.ContainerConfig()
    caps = cfg.linux.security_context.capabilities
    caps.add_capabilities.extend(["NET_ADMIN", "CAP_SYS_TIME"])
    caps.drop_capabilities.extend(["chown", "CAP_NET_RAW"])
    got = build(rootfs, cfg)["process"]["capabilities"]
    assert got["bounding"] == got["effective"] == got["permitted"]
    assert {"CAP_NET_ADMIN", "CAP_SYS_TIME", "CAP_KILL"} <= set(got["bounding"])
    assert not {"CAP_CHOWN", "CAP_NET_RAW"} & set(got["bounding"])

    caps.drop_capabilities[:] = ["ALL"]
    assert build(rootfs, cfg)["process"]["capabilities"]["bounding"] == ["CAP_NET_ADMIN", "CAP_SYS_TIME"]


def test_privileged_gets_every_capability_and_no_masked_paths(rootfs):
    cfg = pb.ContainerConfig()
    cfg.linux.security_context.privileged = True
    spec = build(rootfs, cfg)
    assert spec["process"]["capabilities"]["bounding"] == ocispec.held_capabilities()
    assert "maskedPaths" not in spec["linux"] and "readonlyPaths" not in spec["linux"]
    plain = build(rootfs, pb.ContainerConfig())
    assert "/proc/kcore" in plain["linux"]["maskedPaths"]


def test_read_only_root_and_no_new_privileges(rootfs):
    cfg = pb.ContainerConfig()
    cfg.linux.security_context.readonly_rootfs = True
    cfg.linux.security_context.no_new_privs = True
    spec = build(rootfs, cfg)
    assert spec["root"]["readonly"] is True and spec["process"]["noNewPrivileges"] is True


def test_the_sandbox_namespaces_are_joined_by_path_and_pid_and_mount_are_new(rootfs):
    ns = build(rootfs, pb.ContainerConfig())["linux"]["namespaces"]
    assert ns == [
        {"type": "pid"},
        {"type": "mount"},
        {"type": "network", "path": "/ns/net"},
        {"type": "ipc", "path": "/ns/ipc"},
        {"type": "uts", "path": "/ns/uts"},
    ]
    host_network = build(rootfs, pb.ContainerConfig(), namespaces={"ipc": Path("/ns/ipc")})
    assert [n["type"] for n in host_network["linux"]["namespaces"]] == ["pid", "mount", "ipc"]


def test_memory_limit_allows_no_swap_and_cpu_settings_pass_through(rootfs):
    cfg = pb.ContainerConfig()
    r = cfg.linux.resources
    r.memory_limit_in_bytes, r.cpu_shares, r.cpu_quota, r.cpu_period = 64 << 20, 512, 50000, 100000
    res = build(rootfs, cfg)["linux"]["resources"]
    assert res["memory"] == {"limit": 64 << 20, "swap": 64 << 20}
    assert res["cpu"] == {"shares": 512, "quota": 50000, "period": 100000}
    assert "memory" not in build(rootfs, pb.ContainerConfig())["linux"]["resources"]


def test_sandbox_files_and_cri_mounts_become_bind_mounts(rootfs):
    cfg = pb.ContainerConfig(
        mounts=[
            pb.Mount(container_path="/data", host_path="/var/data", readonly=True),
            pb.Mount(
                container_path="/shared", host_path="/var/shared", propagation=pb.PROPAGATION_BIDIRECTIONAL
            ),
        ]
    )
    mounts = {m["destination"]: m for m in build(rootfs, cfg)["mounts"]}
    assert mounts["/etc/hosts"]["source"] == "/sandbox/hosts"
    assert mounts["/data"]["options"] == ["rbind", "ro", "rprivate"]
    assert mounts["/shared"]["options"] == ["rbind", "rw", "rshared"]
    assert mounts["/proc"]["type"] == "proc" and mounts["/sys"]["options"][-1] == "ro"


def test_capabilities_drop_from_the_default_set_and_all_starts_from_none(tmp_path: Path):
    def caps(add=(), drop=()):
        return ocispec.capabilities(pb.Capability(add_capabilities=add, drop_capabilities=drop))

    assert "CAP_CHOWN" not in caps(drop=["CHOWN"]) and "CAP_KILL" in caps(drop=["CHOWN"])
    assert caps(add=["NET_ADMIN"], drop=["ALL"]) == ["CAP_NET_ADMIN"]
    assert set(caps(add=["ALL"])) == set(ocispec.held_capabilities())
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapBnd:\t000001fffeffffff\n")
    held = ocispec.held_capabilities(status)
    assert "CAP_SYS_RESOURCE" not in held and "CAP_SYS_ADMIN" in held and len(held) == 40


def test_a_shared_process_namespace_is_joined_by_path_and_host_pid_and_ipc_get_none(rootfs):
    shared = pb.ContainerConfig()
    shared.linux.security_context.namespace_options.pid = pb.POD
    namespaces = {"net": Path("/ns/net"), "ipc": Path("/ns/ipc"), "pid": Path("/ns/pid")}
    ns = build(rootfs, shared, namespaces=namespaces)["linux"]["namespaces"]
    assert ns[0] == {"type": "pid", "path": "/ns/pid"}
    host = pb.ContainerConfig()
    host.linux.security_context.namespace_options.pid = pb.NODE
    host.linux.security_context.namespace_options.ipc = pb.NODE
    assert [n["type"] for n in build(rootfs, host)["linux"]["namespaces"]] == ["mount", "network", "uts"]


def test_the_kubelets_hosts_file_replaces_the_sandboxes_and_sysctls_are_set(rootfs):
    cfg = pb.ContainerConfig(mounts=[pb.Mount(container_path="/etc/hosts", host_path="/kubelet/etc-hosts")])
    spec = build(rootfs, cfg, sysctls={"kernel.shm_rmid_forced": "1"})
    assert [m["source"] for m in spec["mounts"] if m["destination"] == "/etc/hosts"] == ["/kubelet/etc-hosts"]
    assert spec["linux"]["sysctl"] == {"kernel.shm_rmid_forced": "1"}


def test_runtime_default_seccomp_refuses_what_the_container_may_not_do(rootfs, tmp_path: Path):
    cfg = pb.ContainerConfig()
    cfg.linux.security_context.seccomp.profile_type = pb.SecurityProfile.RuntimeDefault
    profile = build(rootfs, cfg)["linux"]["seccomp"]
    denied = {n for s in profile["syscalls"] for n in s["names"]}
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW" and {"mount", "unshare", "keyctl", "ptrace"} <= denied
    cfg.linux.security_context.capabilities.add_capabilities.append("SYS_PTRACE")
    assert "ptrace" not in {n for s in build(rootfs, cfg)["linux"]["seccomp"]["syscalls"] for n in s["names"]}
    assert "seccomp" not in build(rootfs, pb.ContainerConfig())["linux"]  # unset: unconfined
    local = tmp_path / "profile.json"
    local.write_text(
        '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}'
    )
    cfg.linux.security_context.seccomp.CopyFrom(
        pb.SecurityProfile(profile_type=pb.SecurityProfile.Localhost, localhost_ref=str(local))
    )
    assert build(rootfs, cfg)["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
    cfg.linux.security_context.seccomp.localhost_ref = str(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="cannot load seccomp profile"):
        build(rootfs, cfg)


def test_a_runtime_without_cap_sys_resource_keeps_oom_scores_at_or_above_its_own(tmp_path: Path):
    status = tmp_path / "status"
    (tmp_path / "oom_score_adj").write_text("0\n")
    status.write_text("CapEff:\t000001fffeffffff\n")
    assert ocispec.allowed_oom_score_adj(-997, status) == 0
    assert ocispec.allowed_oom_score_adj(500, status) == 500
    status.write_text("CapEff:\t000001ffffffffff\n")
    assert ocispec.allowed_oom_score_adj(-997, status) == -997
