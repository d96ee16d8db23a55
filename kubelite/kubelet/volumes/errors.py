"""Why a volume could not be set up; the kubelet reports it as a FailedMount event with
Kubernetes' wording: `MountVolume.SetUp failed for volume "NAME" : REASON`."""

from __future__ import annotations


class VolumeError(Exception):
    """A volume cannot be set up now (its source is missing, a hostPath has the wrong type);
    the pod's containers wait and the setup is tried again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
