"""Paged lists keep their snapshot: later pages show the objects as they were at the first
page's resourceVersion, served from the watch cache's window, so a continue token outlives
the store's compaction of that revision (as Kubernetes 1.33's list-from-cache snapshots)."""

from __future__ import annotations

from pathlib import Path

from kubernetes import client, config

from kubelite.server.testing import LocalCluster
from kubelite.storage.sqlite_log import persisted_compact_revision
from kubelite.util.testing import wait_for


def test_a_continue_token_still_pages_after_the_store_compacted_its_revision(tmp_path: Path):
    cluster = LocalCluster(tmp_path / "cluster", extra_args=["--compaction-interval", "1"]).start()
    try:
        core = client.CoreV1Api(config.new_client_from_config(config_file=str(cluster.kubeconfig)))
        for i in range(6):
            core.create_namespaced_config_map(
                "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"cm{i}"), data={"v": "old"})
            )
        first = core.list_namespaced_config_map("default", limit=2)
        snapshot = int(first.metadata.resource_version)
        names = [i.metadata.name for i in first.items]
        core.patch_namespaced_config_map("cm3", "default", {"data": {"v": "new"}})
        core.delete_namespaced_config_map("cm4", "default")
        core.create_namespaced_config_map(
            "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cm9"))
        )
        # The compactor forgets, each second, what is older than the revision it saw a second
        # before: wait until the snapshot's revision is gone from the store.
        db = str(cluster.data_dir / "state.db")
        wait_for(
            lambda: persisted_compact_revision(db) > snapshot,
            "the store to compact the first page's revision",
        )
        token, data = first.metadata._continue, {}
        while token:
            page = core.list_namespaced_config_map("default", limit=2, _continue=token)
            assert int(page.metadata.resource_version) == snapshot
            names += [i.metadata.name for i in page.items]
            data.update({i.metadata.name: i.data["v"] for i in page.items})
            token = page.metadata._continue
        assert names == [f"cm{i}" for i in range(6)]
        assert data["cm3"] == "old" and data["cm4"] == "old"
        # A fresh list sees the present.
        now = [i.metadata.name for i in core.list_namespaced_config_map("default").items]
        assert now == ["cm0", "cm1", "cm2", "cm3", "cm5", "cm9"]
    finally:
        cluster.stop()
