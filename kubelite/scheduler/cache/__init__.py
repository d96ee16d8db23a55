"""The scheduler's cache of nodes and the pods on them, and the per-cycle snapshot.

cache.py     Cache: nodes, bound pods and *assumed* pods (placed by the scheduler,
             binding still under way), kept from the informers' events
snapshot.py  Snapshot: the copy one scheduling cycle reads; only nodes that changed
             since the last cycle are copied again
"""

from kubelite.scheduler.cache.cache import Cache
from kubelite.scheduler.cache.snapshot import Snapshot

__all__ = ["Cache", "Snapshot"]
