"""The watch cache answers a list as it was at an earlier revision inside its window: the
current objects with the later events undone (what serves continue pages of a list whose
resource changed since its first page)."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from kubelite.apiserver.watchcache import ResourceCache
from kubelite.storage.interface import Event, EventType, KeyValue

KEYS = [f"/registry/configmaps/{ns}/{name}" for ns in ("a", "b") for name in ("x", "y", "z")]
# (key index, delete?) writes applied in order, one revision each.
writes = st.lists(st.tuples(st.integers(0, len(KEYS) - 1), st.booleans()), min_size=1, max_size=40)


def _apply_all(rc: ResourceCache, ops: list[tuple[int, bool]]) -> list[dict[str, int]]:
    """Apply the writes; return the model's state after each revision (index = revision)."""
    state: dict[str, int] = {}
    history = [dict(state)]
    for rev, (i, delete) in enumerate(ops, start=1):
        key = KEYS[i]
        if delete and key in state:
            kv = KeyValue(key, orjson.dumps({"metadata": {"name": key}, "v": state.pop(key)}), 1, rev)
            rc.apply(Event(EventType.DELETE, kv))
        elif not delete:
            state[key] = rev
            rc.apply(
                Event(
                    EventType.PUT, KeyValue(key, orjson.dumps({"metadata": {"name": key}, "v": rev}), 1, rev)
                )
            )
        history.append(dict(state))
    return history


@settings(max_examples=300, deadline=None)
@given(ops=writes, data=st.data())
def test_a_list_at_an_earlier_revision_shows_the_objects_as_they_were_then(ops, data):
    rc = ResourceCache("/registry/configmaps/", window=1000)
    history = _apply_all(rc, ops)
    snapshot = data.draw(st.integers(0, len(ops)), label="snapshot")
    prefix = data.draw(st.sampled_from(["", "/registry/configmaps/a/", "/registry/configmaps/b/"]))
    start = data.draw(st.sampled_from(["", *KEYS]), label="start")
    got = [(k, co.obj["v"]) for k, co in rc.items_at(snapshot, prefix, start)]
    want = sorted((k, v) for k, v in history[snapshot].items() if k.startswith(prefix) and k >= start)
    assert got == want


def test_the_current_state_needs_no_undoing():
    rc = ResourceCache("/registry/configmaps/", window=1000)
    history = _apply_all(rc, [(0, False), (1, False), (0, True), (2, False)])
    assert [k for k, _ in rc.items_at(4)] == sorted(history[4]) == [k for k, _ in rc.items()]
