"""kubelite as a user installs it: `pip install .` into a fresh virtual environment, no extras,
then `kubelite up` from it, driven by the real kubectl.

The rest of the suite runs with the test extras installed, which bring packages of their own;
this test is the one that would notice a runtime import the product does not declare (as
`jsonpatch` once was: every PATCH answered 500 for users while the suite stayed green).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kubelite.util.net import free_port
from kubelite.util.testing import wait_for

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with `pip install .` of this checkout (a copy, not editable)."""
    venv = tmp_path_factory.mktemp("install") / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True)  # type: ignore[attr-defined]
    r = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        cwd=venv.parent,
        env=_clean_env(),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return venv


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would let the checkout leak into the venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, **extra}


class Kubectl:
    def __init__(self, kubeconfig: Path) -> None:
        self.env = _clean_env(KUBECONFIG=str(kubeconfig), HOME=str(kubeconfig.parent))

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        r = subprocess.run(
            ["kubectl", *args], env=self.env, input=stdin, capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 0, f"kubectl {' '.join(args)}: {r.stderr}"
        return r.stdout

    def json(self, *args: str) -> dict:
        return json.loads(self(*args, "-o", "json"))


@pytest.fixture(scope="module")
def kubectl(installed: Path, tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("up") / "data"
    port = free_port()
    up = subprocess.Popen(
        [
            str(installed / "bin" / "kubelite"),
            "up",
            "--no-local-node",
            "--data-dir",
            str(data),
            "--port",
            str(port),
        ],
        cwd=data.parent,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    k = Kubectl(data / "kubeconfig")

    def ready() -> bool:
        if up.poll() is not None:
            raise AssertionError(f"it exited with {up.returncode}")
        readyz = ["kubectl", "get", "--raw", "/readyz"]
        return (data / "kubeconfig").exists() and subprocess.run(
            readyz, env=k.env, capture_output=True
        ).returncode == 0

    try:
        try:
            wait_for(ready, "kubelite up from the fresh install to be ready", timeout=60, interval=0.3)
        except AssertionError as err:
            up.kill()
            raise AssertionError(f"{err}:\n{up.communicate()[0]}") from None
        yield k
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGTERM)
        out = up.communicate(timeout=30)[0]
    assert "Traceback" not in out, out


def test_the_installed_package_runs_from_its_own_files(installed: Path):
    r = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import kubelite; print(kubelite.__file__)"],
        cwd=installed.parent,
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert r.stdout.startswith(str(installed)), r.stdout


def test_kubectl_creates_applies_labels_patches_and_deletes_against_a_fresh_install(
    kubectl: Kubectl, tmp_path: Path
):
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "web", "image": "nginx:1.27", "env": [{"name": "A", "value": "1"}]}
                    ]
                },
            },
        },
    }
    manifest = tmp_path / "web.yaml"
    manifest.write_text(yaml.safe_dump(deployment))
    assert kubectl("create", "-f", str(manifest)).strip() == "deployment.apps/web created"

    deployment["spec"]["replicas"] = 3
    manifest.write_text(yaml.safe_dump(deployment))
    assert kubectl("apply", "-f", str(manifest)).strip() == "deployment.apps/web configured"
    assert kubectl.json("get", "deploy", "web")["spec"]["replicas"] == 3

    kubectl("label", "deploy", "web", "tier=frontend")
    kubectl("annotate", "deploy", "web", "owner=ops")
    kubectl(
        "patch",
        "deploy",
        "web",
        "--type=json",
        "-p",
        '[{"op": "replace", "path": "/spec/replicas", "value": 4}]',
    )
    kubectl("patch", "deploy", "web", "--type=merge", "-p", '{"metadata": {"labels": {"merged": "yes"}}}')
    kubectl(
        "patch",
        "deploy",
        "web",
        "--type=strategic",
        "-p",
        '{"spec": {"template": {"spec": {"containers": '
        '[{"name": "web", "env": [{"name": "B", "value": "2"}]}]}}}}',
    )
    got = kubectl.json("get", "deploy", "web")
    assert got["spec"]["replicas"] == 4
    assert got["metadata"]["labels"] == {"app": "web", "tier": "frontend", "merged": "yes"}
    assert got["metadata"]["annotations"]["owner"] == "ops"
    # strategic merge: the container list is merged by name, and its env by name too
    (container,) = got["spec"]["template"]["spec"]["containers"]
    # (B is new to the list, so Kubernetes puts it first)
    assert [(e["name"], e["value"]) for e in container["env"]] == [("B", "2"), ("A", "1")]

    assert kubectl("delete", "-f", str(manifest)).strip() == 'deployment.apps "web" deleted'
    r = subprocess.run(["kubectl", "get", "deploy", "web"], env=kubectl.env, capture_output=True, text=True)
    assert r.returncode == 1 and 'deployments.apps "web" not found' in r.stderr
