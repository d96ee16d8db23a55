"""The StatefulSet controller: pods with stable names, storage and order."""

from kubelite.controllers.statefulset.controller import StatefulSetController

__all__ = ["StatefulSetController"]
