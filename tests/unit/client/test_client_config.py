"""Client configuration: kubeconfig files (contexts, paths relative to the file, inline data)
and the in-cluster service account mount (kubelite.client.config)."""

from __future__ import annotations

import base64

import pytest
import yaml

from kubelite.client import ConfigError, in_cluster_config, load_kubeconfig


def _write_kubeconfig(path, **user):
    cfg = {
        "clusters": [
            {"name": "c", "cluster": {"server": "https://h:6443/", "certificate-authority": "ca.pem"}}
        ],
        "users": [{"name": "u", "user": user}],
        "contexts": [
            {"name": "main", "context": {"cluster": "c", "user": "u", "namespace": "team"}},
            {"name": "other", "context": {"cluster": "c", "user": "u"}},
        ],
        "current-context": "main",
    }
    path.write_text(yaml.safe_dump(cfg))


def test_kubeconfig_resolves_context_files_relative_to_it_and_data(tmp_path, monkeypatch):
    (tmp_path / "ca.pem").write_bytes(b"CA")
    _write_kubeconfig(
        tmp_path / "config", token="t0k", **{"client-certificate-data": base64.b64encode(b"CERT").decode()}
    )
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing") + ":" + str(tmp_path / "config"))
    cfg = load_kubeconfig()
    assert (cfg.server, cfg.ca_data, cfg.client_cert_data, cfg.token, cfg.namespace) == (
        "https://h:6443",
        b"CA",
        b"CERT",
        "t0k",
        "team",
    )
    assert load_kubeconfig(context="other").namespace == "default"
    with pytest.raises(ConfigError):
        load_kubeconfig(context="nope")


def test_in_cluster_config_reads_the_service_account_mount(tmp_path):
    (tmp_path / "token").write_text("sa-token\n")
    (tmp_path / "namespace").write_text("apps")
    (tmp_path / "ca.crt").write_bytes(b"CA")
    env = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    cfg = in_cluster_config(tmp_path, env)
    assert (cfg.server, cfg.bearer_token(), cfg.namespace, cfg.ca_data) == (
        "https://10.96.0.1:443",
        "sa-token",
        "apps",
        b"CA",
    )
    (tmp_path / "token").write_text("rotated")
    assert cfg.bearer_token() == "rotated"
    with pytest.raises(ConfigError):
        in_cluster_config(tmp_path, {})
