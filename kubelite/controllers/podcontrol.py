"""Creating and deleting a controller's pods, with the events Kubernetes records for them.

`PodControl` is what the ReplicaSet (and later the Job and DaemonSet) controllers call to
act on pods; it turns a pod template into a pod (labels, annotations, finalizers and spec
copied; `generateName` of the owner's name and a dash; the owner's controller reference),
writes it through the API and records on the owner:

    Normal   SuccessfulCreate   Created pod: <name>
    Warning  FailedCreate       Error creating: <the API's message>   (not while the
                                                                      namespace terminates)
    Normal   SuccessfulDelete   Deleted pod: <name>
    Warning  FailedDelete       Error deleting: <the API's message>

`slow_start_batch` runs many such calls the way Kubernetes does: 1, then 2, 4, 8, ... at
once, stopping at the first batch with a failure, so a quota or admission refusal costs one
failed call instead of hundreds.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.events import NORMAL, WARNING, EventRecorder
from kubelite.client.resource import APIClient

FAILED_CREATE, SUCCESSFUL_CREATE = "FailedCreate", "SuccessfulCreate"
FAILED_DELETE, SUCCESSFUL_DELETE = "FailedDelete", "SuccessfulDelete"
SLOW_START_INITIAL_BATCH_SIZE = 1
NAMESPACE_TERMINATING_CAUSE = "NamespaceTerminating"


def has_status_cause(err: errors.APIError, cause: str) -> bool:
    causes = (err.details or {}).get("causes") or []
    return any(c.get("reason") == cause for c in causes)


def pods_prefix(owner_name: str) -> str:
    return f"{owner_name}-"


def pod_from_template(template: Object, owner: Object, controller_ref: Object | None) -> Object:
    """The pod a controller creates from `template` for `owner`."""
    tmd = template.get("metadata") or {}
    md: Object = {"generateName": pods_prefix(owner["metadata"]["name"])}
    for key in ("labels", "annotations", "finalizers"):
        if tmd.get(key):
            md[key] = copy.deepcopy(tmd[key])
    if controller_ref is not None:
        md["ownerReferences"] = [controller_ref]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": md,
        "spec": copy.deepcopy(template.get("spec") or {}),
    }


class PodControl:
    def __init__(self, client: APIClient, recorder: EventRecorder) -> None:
        self.pods = client.resource("pods")
        self.recorder = recorder

    async def create_pod(
        self,
        namespace: str,
        template: Object,
        owner: Object,
        controller_ref: Object | None,
        generate_name: str | None = None,
    ) -> Object:
        pod = pod_from_template(template, owner, controller_ref)
        if generate_name:
            pod["metadata"]["generateName"] = generate_name
        if not (pod["metadata"].get("labels") or {}):
            raise ValueError("unable to create pods, no labels")
        try:
            created = await self.pods.create(pod, namespace=namespace)
        except errors.APIError as err:
            if not has_status_cause(err, NAMESPACE_TERMINATING_CAUSE):
                self.recorder.event(owner, WARNING, FAILED_CREATE, f"Error creating: {err.message}")
            raise
        self.recorder.event(owner, NORMAL, SUCCESSFUL_CREATE, f"Created pod: {created['metadata']['name']}")
        return created

    async def delete_pod(self, namespace: str, name: str, owner: Object) -> None:
        try:
            await self.pods.delete(name, namespace=namespace)
        except errors.NotFound:
            raise
        except errors.APIError as err:
            self.recorder.event(owner, WARNING, FAILED_DELETE, f"Error deleting: {err.message}")
            raise
        self.recorder.event(owner, NORMAL, SUCCESSFUL_DELETE, f"Deleted pod: {name}")


async def slow_start_batch(
    count: int, initial_batch_size: int, fn: Callable[[], Awaitable[None]]
) -> tuple[int, BaseException | None]:
    """Call `fn` `count` times in batches of growing size (1, 2, 4, ...), each batch at once.
    Returns how many calls succeeded and the first error; a batch with a failure ends it."""
    remaining, successes = count, 0
    batch = min(remaining, initial_batch_size)
    while batch > 0:
        results = await asyncio.gather(*(fn() for _ in range(batch)), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        successes += batch - len(failures)
        for f in failures:
            if isinstance(f, asyncio.CancelledError):
                raise f
        if failures:
            return successes, failures[0]
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None
