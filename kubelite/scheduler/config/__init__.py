"""The scheduler's configuration: KubeSchedulerConfiguration v1 (`--config FILE`).

types.py  the configuration as dataclasses (profiles, plugins per extension point,
          plugin args, client connection, leader election)
load.py   parsing, Kubernetes' defaulting (the default plugin set) and validation
"""

from kubelite.scheduler.config.load import ConfigError, default_configuration, load, parse
from kubelite.scheduler.config.types import Profile, SchedulerConfiguration

__all__ = ["ConfigError", "Profile", "SchedulerConfiguration", "default_configuration", "load", "parse"]
