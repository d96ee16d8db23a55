"""Making a container's image present, by its pull policy, with back-off on failures.

    Always        pull every time a container starts
    IfNotPresent  pull only when the runtime does not have it
    Never         use it if present, else fail with ErrImageNeverPull

A failed pull is reported as the container's waiting reason ErrImagePull; while the
image's back-off (10 s doubling to 5 min) runs, further starts do not pull and report
ImagePullBackOff, as Kubernetes does. Defaults: Always for `:latest` or no tag, else
IfNotPresent (the API server's defaulting usually filled it in already).

Pulls run in parallel, as Kubernetes' kubelet with `serializeImagePulls: false` (its
default is true: one pull at a time per node, so a hanging pull blocks every other pod's
pull). kubelite's runtime pulls a reference once at a time (a second pull of it waits,
then finds its layers stored). Pulls are made outside the kubelet's start slots (sync.py),
so they never hold up the starts of pods whose images are present.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubelite.api.types import Object
from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import CRIError
from kubelite.kubelet.backoff import Backoff

log = logging.getLogger("kubelite.kubelet.images")
Recorder = Callable[[str, str, str], None]  # (type, reason, message)


@dataclass(slots=True)
class PullFailure(Exception):
    reason: str  # ErrImagePull, ImagePullBackOff, ErrImageNeverPull
    message: str


def pull_policy(container: Object) -> str:
    if container.get("imagePullPolicy"):
        return str(container["imagePullPolicy"])
    image = container.get("image", "")
    tagged = ":" in image.rsplit("/", 1)[-1] or "@" in image
    return "IfNotPresent" if tagged and not image.endswith(":latest") else "Always"


class ImagePuller:
    def __init__(self, images: Any, backoff: Backoff) -> None:
        self.images = images
        self.backoff = backoff

    async def ensure(
        self, pod: Object, container: Object, sandbox: pb.PodSandboxConfig | None, record: Recorder
    ) -> str:
        """The image reference to create the container with; raises PullFailure."""
        image = container.get("image", "")
        policy = pull_policy(container)
        spec = pb.ImageSpec(image=image)
        if policy != "Always":
            present = await self.images.image_status(spec)
            if present.HasField("image") and present.image.id:
                record("Normal", "Pulled", f'Container image "{image}" already present on machine')
                return str(present.image.id)
            if policy == "Never":
                msg = f'Container image "{image}" is not present with pull policy of Never'
                record("Warning", "ErrImageNeverPull", msg)
                raise PullFailure("ErrImageNeverPull", msg)
        key = (pod["metadata"].get("uid", ""), image)
        if self.backoff.in_backoff(key):
            msg = f'Back-off pulling image "{image}"'
            record("Normal", "BackOff", msg)
            raise PullFailure("ImagePullBackOff", msg)
        record("Normal", "Pulling", f'Pulling image "{image}"')
        try:
            ref: str = await self.images.pull_image(spec, None, sandbox)
        except CRIError as err:
            self.backoff.next(key)
            msg = f'Failed to pull image "{image}": {err.message}'
            record("Warning", "Failed", msg)
            raise PullFailure("ErrImagePull", msg) from None
        self.backoff.reset(key)
        record("Normal", "Pulled", f'Successfully pulled image "{image}"')
        return ref
