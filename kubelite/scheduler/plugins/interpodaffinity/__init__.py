"""InterPodAffinity: pods placed near (affinity) or away from (anti-affinity) other pods, per
topology domain; required terms filter, preferred terms score."""

from kubelite.scheduler.plugins.interpodaffinity.plugin import InterPodAffinity

__all__ = ["InterPodAffinity"]
