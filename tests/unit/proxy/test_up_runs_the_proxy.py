"""`kubelite up` runs one `kubelite proxy` for a real local node, with the command line a
standalone proxy would get; none without a local node or with --no-proxy."""

from __future__ import annotations

from pathlib import Path

from kubelite.server import localnode
from kubelite.server.up import UpOptions, prepare


def _names(tmp_path: Path, **options: object) -> dict[str, list[str]]:
    components = prepare(
        UpOptions(data_dir=tmp_path, container_runtime_endpoint="unix:///run/x.sock", **options)
    )
    return {c.name: c.argv for c in components}


def test_the_local_node_gets_a_proxy_with_its_own_kubeconfig_and_node_name(tmp_path: Path):
    argv = _names(tmp_path, extra_args={"proxy": ["--proxy-mode=iptables"]})["proxy"]
    assert argv[2:4] == ["kubelite", "proxy"]
    assert argv[argv.index("--kubeconfig") + 1] == str(tmp_path.resolve() / "proxy.kubeconfig")
    assert argv[argv.index("--hostname-override") + 1] == localnode.node_name()
    assert argv[-1] == "--proxy-mode=iptables"
    assert "system:kube-proxy" in (tmp_path / "proxy.kubeconfig").read_text()


def test_no_proxy_without_a_local_node_or_with_no_proxy(tmp_path: Path):
    assert "proxy" not in _names(tmp_path, local_node=False, simulated_nodes=2)
    assert "proxy" not in _names(tmp_path, proxy=False)
