"""The EndpointSlice mirroring controller: EndpointSlices for hand-written Endpoints.

controller.py   which Endpoints are mirrored, and how (plans with endpointslice/reconciler.py)
"""

from kubelite.controllers.endpointslicemirroring.controller import NAME, EndpointSliceMirroringController

__all__ = ["NAME", "EndpointSliceMirroringController"]
