"""storage.k8s.io/v1: StorageClass, the CSI objects, VolumeAttachment, VolumeAttributesClass.
See `descriptors` for the notation."""

STORAGE_V1: dict[str, str] = {
    "CSIDriver": "1 metadata:ObjectMeta, 2 spec:CSIDriverSpec",
    "CSIDriverList": "1 metadata:ListMeta, 2 items:[]CSIDriver",
    "CSIDriverSpec": (
        "1 attachRequired:bool, 2 podInfoOnMount:bool, 3 volumeLifecycleModes:[]str, "
        "4 storageCapacity:bool, 5 fsGroupPolicy, 6 tokenRequests:[]TokenRequest, "
        "7 requiresRepublish:bool, 8 seLinuxMount:bool, 9 nodeAllocatableUpdatePeriodSeconds:i64, "
        "10 serviceAccountTokenInSecrets:bool, 11 preventPodSchedulingIfMissing:bool"
    ),
    "CSINode": "1 metadata:ObjectMeta, 2 spec:CSINodeSpec",
    "CSINodeDriver": "1 name, 2 nodeID, 3 topologyKeys:[]str, 4 allocatable:VolumeNodeResources",
    "CSINodeList": "1 metadata:ListMeta, 2 items:[]CSINode",
    "CSINodeSpec": "1 drivers:[]CSINodeDriver",
    "CSIStorageCapacity": (
        "1 metadata:ObjectMeta, 2 nodeTopology:LabelSelector, 3 storageClassName, 4 capacity:Quantity, "
        "5 maximumVolumeSize:Quantity"
    ),
    "CSIStorageCapacityList": "1 metadata:ListMeta, 2 items:[]CSIStorageCapacity",
    "StorageClass": (
        "1 metadata:ObjectMeta, 2 provisioner, 3 parameters:{}str, 4 reclaimPolicy, 5 mountOptions:[]str, "
        "6 allowVolumeExpansion:bool, 7 volumeBindingMode, "
        "8 allowedTopologies:[]core/v1.TopologySelectorTerm"
    ),
    "StorageClassList": "1 metadata:ListMeta, 2 items:[]StorageClass",
    "TokenRequest": "1 audience, 2 expirationSeconds:i64",
    "VolumeAttachment": "1 metadata:ObjectMeta, 2 spec:VolumeAttachmentSpec, 3 status:VolumeAttachmentStatus",
    "VolumeAttachmentList": "1 metadata:ListMeta, 2 items:[]VolumeAttachment",
    "VolumeAttachmentSource": "1 persistentVolumeName, 2 inlineVolumeSpec:core/v1.PersistentVolumeSpec",
    "VolumeAttachmentSpec": "1 attacher, 2 source:VolumeAttachmentSource, 3 nodeName",
    "VolumeAttachmentStatus": (
        "1 attached:bool, 2 attachmentMetadata:{}str, 3 attachError:VolumeError, 4 detachError:VolumeError"
    ),
    "VolumeAttributesClass": "1 metadata:ObjectMeta, 2 driverName, 3 parameters:{}str",
    "VolumeAttributesClassList": "1 metadata:ListMeta, 2 items:[]VolumeAttributesClass",
    "VolumeError": "1 time:Time, 2 message~, 3 errorCode:i32",
    "VolumeNodeResources": "1 count:i32",
}
