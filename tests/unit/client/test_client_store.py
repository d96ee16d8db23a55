"""The informer cache's indexes (kubelite.client.store)."""

from __future__ import annotations

from kubelite.client.store import OWNER_UID_INDEX, Indexer, by_owner_uid


def _pod(name, uid="", rv="1", owner=None):
    meta = {"name": name, "namespace": "ns", "resourceVersion": rv}
    if owner:
        meta["ownerReferences"] = [{"uid": owner}]
    return {"metadata": meta, "spec": {}}


def test_indexes_follow_updates_and_deletes():
    idx = Indexer({OWNER_UID_INDEX: by_owner_uid})
    idx.upsert(_pod("a", owner="rs1"))
    idx.upsert(_pod("b", owner="rs1"))
    idx.upsert(_pod("a", owner="rs2"))
    assert idx.index_keys(OWNER_UID_INDEX, "rs1") == ["ns/b"]
    idx.delete(_pod("b"))
    assert idx.index_keys(OWNER_UID_INDEX, "rs1") == [] and idx.index_values(OWNER_UID_INDEX) == ["rs2"]
