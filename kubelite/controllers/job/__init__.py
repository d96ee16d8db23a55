"""The Job controller: run pods to completion, count them once, and finish the Job."""

from kubelite.controllers.job.controller import JobController

__all__ = ["JobController"]
