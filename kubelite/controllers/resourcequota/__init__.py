"""The resource quota controller (`controller.py`): every ResourceQuota's `status.used`."""

from kubelite.controllers.resourcequota.controller import ResourceQuotaController

__all__ = ["ResourceQuotaController"]
