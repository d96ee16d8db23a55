"""The Deployment controller (`controller.py`) and its parts: the rolling and recreate
strategies (`rolling.py`, `recreate.py`), proportional scaling (`scaling.py`), the new
ReplicaSet, revisions and clean-up (`history.py`), status and progress (`progress.py`,
`conditions.py`), the per-sync state (`state.py`) and the arithmetic (`util.py`)."""

from kubelite.controllers.deployment.controller import ALIAS, NAME, DeploymentController

__all__ = ["ALIAS", "NAME", "DeploymentController"]
