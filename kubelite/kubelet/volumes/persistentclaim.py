"""persistentVolumeClaim: the pod names a claim; the kubelet mounts the claim's volume.

The claim must be bound (spec.volumeName set, phase Bound), else the pod's FailedMount says
so in Kubernetes' words; its PersistentVolume must be one this node can mount: `hostPath`
(checked and created as a hostPath volume is, kubelite's local-path provisioner makes these)
or `local` (a path that must exist). The claim's `readOnly` makes every mount of it
read-only, as a volumeMount's `readOnly` does for that one mount.
"""

from __future__ import annotations

from pathlib import Path

from kubelite.api.types import Object
from kubelite.kubelet.volumes import hostpath
from kubelite.kubelet.volumes.errors import VolumeError
from kubelite.kubelet.volumes.sources import VolumeSources


async def resolve(sources: VolumeSources, namespace: str, source: Object) -> tuple[Path, bool]:
    """The host directory of the claim's volume (the claim and volume read through `sources`),
    and whether it is a `local` volume (whose ownership fsGroup manages; hostPath's it does not)."""
    name = str(source.get("claimName") or "")
    claim = await sources.claim(namespace, name)
    if claim is None:
        raise VolumeError(f'persistentvolumeclaim "{name}" not found')
    volume_name = (claim.get("spec") or {}).get("volumeName") or ""
    phase = (claim.get("status") or {}).get("phase") or ""
    if phase != "Bound" or not volume_name:
        raise VolumeError(
            f'PVC {namespace}/{name} has non-bound phase ("{phase}") '
            f'or empty pvc.Spec.VolumeName ("{volume_name}")'
        )
    volume = await sources.persistent_volume(volume_name)
    if volume is None:
        raise VolumeError(f'persistentvolume "{volume_name}" not found')
    spec = volume.get("spec") or {}
    if spec.get("hostPath"):
        return hostpath.check(spec["hostPath"]), False
    if spec.get("local"):
        path = Path(str(spec["local"].get("path") or ""))
        if not path.exists():
            raise VolumeError(f"path {path} does not exist")
        return path, True
    raise VolumeError(
        f'persistentvolume "{volume_name}": only hostPath and local volumes can be mounted on this node'
    )
