"""The EndpointSlice controller: the EndpointSlices of every Service with a selector.

controller.py   which pods, their endpoint conditions and ports; the slices' metadata
reconciler.py   desired endpoints to slices to create, update and delete (also used by
                the mirroring controller)
"""

from kubelite.controllers.endpointslice.controller import NAME, EndpointSliceController

__all__ = ["NAME", "EndpointSliceController"]
