"""The storage controllers of kube-controller-manager, and kubelite's local provisioner.

persistentvolume/   persistentvolume-binder-controller: claims bound to volumes, volumes
                    released and reclaimed when their claim goes
protection.py       persistentvolumeclaim-protection-controller and
                    persistentvolume-protection-controller: the in-use finalizers removed
                    once nothing uses the claim / volume
localpath/          kubelite.io/local-path: the default StorageClass's provisioner
                    (hostPath volumes under a directory of the node)
"""
