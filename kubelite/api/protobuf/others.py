"""The smaller API groups: coordination.k8s.io/v1 (Lease), events.k8s.io/v1,
policy/v1 (PodDisruptionBudget, Eviction), scheduling.k8s.io/v1 (PriorityClass),
storage.k8s.io/v1 and node.k8s.io/v1 (RuntimeClass).

See `descriptors` for the notation.
"""

COORDINATION_V1: dict[str, str] = {
    "Lease": "1 metadata:ObjectMeta, 2 spec:LeaseSpec",
    "LeaseList": "1 metadata:ListMeta, 2 items:[]Lease",
    "LeaseSpec": (
        "1 holderIdentity, 2 leaseDurationSeconds:i32, 3 acquireTime:MicroTime, 4 renewTime:MicroTime, "
        "5 leaseTransitions:i32, 6 strategy, 7 preferredHolder"
    ),
}

EVENTS_V1: dict[str, str] = {
    "Event": (
        "1 metadata:ObjectMeta, 2 eventTime:MicroTime, 3 series:EventSeries, 4 reportingController~, "
        "5 reportingInstance~, 6 action~, 7 reason~, 8 regarding:core/v1.ObjectReference, "
        "9 related:core/v1.ObjectReference, 10 note~, 11 type~, 12 deprecatedSource:core/v1.EventSource, "
        "13 deprecatedFirstTimestamp:Time, 14 deprecatedLastTimestamp:Time, 15 deprecatedCount:i32~"
    ),
    "EventList": "1 metadata:ListMeta, 2 items:[]Event",
    "EventSeries": "1 count:i32, 2 lastObservedTime:MicroTime",
}

POLICY_V1: dict[str, str] = {
    "Eviction": "1 metadata:ObjectMeta, 2 deleteOptions:DeleteOptions",
    "PodDisruptionBudget": (
        "1 metadata:ObjectMeta, 2 spec:PodDisruptionBudgetSpec, 3 status:PodDisruptionBudgetStatus"
    ),
    "PodDisruptionBudgetList": "1 metadata:ListMeta, 2 items:[]PodDisruptionBudget",
    "PodDisruptionBudgetSpec": (
        "1 minAvailable:IntOrString, 2 selector:LabelSelector, 3 maxUnavailable:IntOrString, "
        "4 unhealthyPodEvictionPolicy"
    ),
    "PodDisruptionBudgetStatus": (
        "1 observedGeneration:i64~, 2 disruptedPods:{}Time, 3 disruptionsAllowed:i32, "
        "4 currentHealthy:i32, 5 desiredHealthy:i32, 6 expectedPods:i32, 7 conditions:[]Condition"
    ),
}

SCHEDULING_V1: dict[str, str] = {
    "PriorityClass": (
        "1 metadata:ObjectMeta, 2 value:i32, 3 globalDefault:bool~, 4 description~, 5 preemptionPolicy"
    ),
    "PriorityClassList": "1 metadata:ListMeta, 2 items:[]PriorityClass",
}

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

NODE_V1: dict[str, str] = {
    "Overhead": "1 podFixed:{}Quantity",
    "RuntimeClass": "1 metadata:ObjectMeta, 2 handler, 3 overhead:Overhead, 4 scheduling:Scheduling",
    "RuntimeClassList": "1 metadata:ListMeta, 2 items:[]RuntimeClass",
    "Scheduling": "1 nodeSelector:{}str, 2 tolerations:[]core/v1.Toleration",
}
