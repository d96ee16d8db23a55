"""A simulated node follows the pod CIDR node IPAM gives its Node after it registered."""

from __future__ import annotations

import ipaddress

from kubelite.controllers.context import ControllerSettings
from kubelite.controllers.nodeipam import NodeIPAMController
from kubelite.controllers.testing import ControllerHarness
from kubelite.kubelet.options import KubeletOptions
from kubelite.kubelet.simulated.kubelet import SimulatedKubelet


async def test_pods_of_a_simulated_node_get_ips_from_the_cidr_node_ipam_gave_it():
    h = ControllerHarness()
    h.ctx.settings = ControllerSettings(cluster_cidr="10.50.0.0/16")
    kubelet = SimulatedKubelet(
        h.client,
        KubeletOptions(simulated=1, simulated_name_prefix="sim-", simulated_start_latency=0.1),
        clock=h.clock,
    )
    async with h.running(kubelet, NodeIPAMController(h.ctx)):
        await h.advance(1)
        node = h.cluster.get_object("nodes", "sim-0")
        assert node is not None and node["spec"]["podCIDR"] == "10.50.0.0/24"
        pod = {
            "metadata": {"name": "p"},
            "spec": {"nodeName": "sim-0", "containers": [{"name": "c", "image": "x"}]},
        }
        await h.client.resource("pods").create(pod)
        await h.advance(5)
        got = h.cluster.get_object("pods", "p", "default")
        assert got is not None
        assert ipaddress.ip_address(got["status"]["podIP"]) in ipaddress.ip_network("10.50.0.0/24")
