"""The endpoints controller: an Endpoints object per Service with a selector.

controller.py   which pods, which ports, ready or not; writing the Endpoints
subsets.py      addresses grouped by the ports they offer, in a canonical order
"""

from kubelite.controllers.endpoints.controller import NAME, EndpointsController

__all__ = ["NAME", "EndpointsController"]
