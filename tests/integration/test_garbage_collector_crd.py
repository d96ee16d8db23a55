"""The garbage collector with custom resources: a CRD's objects own and are owned, found
through discovery, deleted in the background and in the foreground."""

from __future__ import annotations

import json
import subprocess
import sys

from kubelite.util.process import stop_process
from kubelite.util.testing import wait_for

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                },
            }
        ],
    },
}


def test_custom_resources_own_and_are_collected_with_each_policy(fresh_cluster, tmp_path):
    k = fresh_cluster.kubectl
    k("create", "-f", "-", input=json.dumps(CRD))
    k("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
    kcm = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubelite",
            "controller-manager",
            "--kubeconfig",
            str(fresh_cluster.kubeconfig),
            "--controllers",
            "garbage-collector-controller",
            "--secure-port",
            "0",
        ],
        stdout=open(tmp_path / "kcm.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        for name in ("bg", "fg"):
            k(
                "create",
                "-f",
                "-",
                input=json.dumps(
                    {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}}
                ),
            )
            widget = json.loads(k("get", "widget", name, "-o", "json").stdout)
            owned = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": f"{name}-config",
                    "ownerReferences": [
                        {
                            "apiVersion": "example.com/v1",
                            "kind": "Widget",
                            "name": name,
                            "uid": widget["metadata"]["uid"],
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
            }
            k("create", "-f", "-", input=json.dumps(owned))
        wait_for(
            lambda: "all resource monitors have synced" in (tmp_path / "kcm.log").read_text(), "the monitors"
        )
        k("delete", "widget", "fg", "--cascade=foreground", "--timeout=60s")
        assert k("get", "configmap", "fg-config", check=False).returncode == 1  # gone before its owner
        k("delete", "widget", "bg")
        wait_for(
            lambda: k("get", "configmap", "bg-config", check=False).returncode == 1,
            "the collector to delete the widget's ConfigMap",
            interval=0.5,
        )
    finally:
        stop_process(kcm)
