"""The CronJob controller: Jobs made from a template on a cron schedule."""

from kubelite.controllers.cronjob.controller import CronJobController

__all__ = ["CronJobController"]
