"""The disruption controller (`controller.py`): PodDisruptionBudget status (`status.py`) from
the pods a budget selects and the scale of their controllers (`scale.py`)."""

from kubelite.controllers.disruption.controller import ALIAS, NAME, DisruptionController

__all__ = ["ALIAS", "NAME", "DisruptionController"]
