"""kubelite.io/local-path: the provisioner of kubelite's default StorageClass `local-path`.

provisioner.py   claims waiting for it get a hostPath PersistentVolume under
                 --local-path-dir on their selected node; Released volumes of the Delete
                 policy are removed with their directory
"""

from kubelite.controllers.volume.localpath.provisioner import (
    CLASS_NAME,
    NAME,
    PROVISIONER,
    LocalPathProvisioner,
)

__all__ = ["CLASS_NAME", "NAME", "PROVISIONER", "LocalPathProvisioner"]
