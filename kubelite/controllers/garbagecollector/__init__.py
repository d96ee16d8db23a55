"""The garbage collector (`controller.py`): monitors found by discovery (`monitors.py`),
the graph of owners and dependents (`graph.py`) kept by one writer (`graph_builder.py`),
and the workers that delete and orphan (`collector.py`)."""

from kubelite.controllers.garbagecollector.controller import ALIAS, NAME, GarbageCollector

__all__ = ["ALIAS", "NAME", "GarbageCollector"]
