"""persistentvolume-binder-controller: PersistentVolumeClaims bound to PersistentVolumes.

controller.py   the claim and volume syncs (binding, Lost, Released, reclaim)
binding.py      the API writes that make one binding (volume first, then claim)
"""

from kubelite.controllers.volume.persistentvolume.controller import NAME, PersistentVolumeController

__all__ = ["NAME", "PersistentVolumeController"]
