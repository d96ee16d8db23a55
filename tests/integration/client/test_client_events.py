"""Events against a real API server: repeats become a count, floods become one combined event."""

from __future__ import annotations

import asyncio

from kubelite.client import Client, load_kubeconfig
from kubelite.client.events import COMBINED_PREFIX, WARNING, EventRecorder


async def _events_for(client: Client, ns: str, name: str) -> list[dict]:
    items, _ = await client.resource("events").list_all(namespace=ns)
    return [e for e in items if e["involvedObject"]["name"] == name]


async def test_repeated_events_update_one_object_and_similar_ones_are_combined(cluster):
    async with Client(load_kubeconfig(cluster.kubeconfig).with_rate_limits(1000, 1000)) as client:
        await client.resource("namespaces").create({"metadata": {"name": "ev"}})
        pod = await client.resource("pods").create(
            {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
            namespace="ev",
        )
        recorder = EventRecorder(client, component="kubelet", host="node-1")
        writer = asyncio.ensure_future(recorder.run())
        try:
            for _ in range(5):
                recorder.event(pod, WARNING, "BackOff", "Back-off restarting failed container")
            await recorder.flush()
            (ev,) = await _events_for(client, "ev", "p")
            assert ev["count"] == 5 and ev["reason"] == "BackOff" and ev["type"] == "Warning"
            assert ev["involvedObject"]["uid"] == pod["metadata"]["uid"]
            assert ev["source"] == {"component": "kubelet", "host": "node-1"}
            assert ev["firstTimestamp"] <= ev["lastTimestamp"]

            # Ten different messages for one reason: the tenth and later fold into one event.
            for i in range(14):
                recorder.event(pod, WARNING, "FailedMount", f"volume v{i} is not attached")
            await recorder.flush()
            events = await _events_for(client, "ev", "p")
            mounts = [e for e in events if e["reason"] == "FailedMount"]
            combined = [e for e in mounts if e["message"].startswith(COMBINED_PREFIX)]
            assert len(mounts) == 10 and len(combined) == 1
            assert combined[0]["count"] == 5 and combined[0]["message"].endswith("v13 is not attached")
        finally:
            writer.cancel()
