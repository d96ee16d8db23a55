"""The namespace controller (`controller.py`): empties terminating namespaces
(`deleter.py`) and reports why one is stuck (`conditions.py`)."""

from kubelite.controllers.namespace.controller import ALIAS, NAME, NamespaceController

__all__ = ["ALIAS", "NAME", "NamespaceController"]
