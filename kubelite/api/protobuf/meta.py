"""meta.k8s.io/v1 messages: ObjectMeta and the types every API group shares.

Also the option types (DeleteOptions, ...) and Status, which clients encode
under any group's apiVersion. See `descriptors` for the notation.
"""

META_V1: dict[str, str] = {
    "APIGroup": (
        "1 name, 2 versions:[]GroupVersionForDiscovery, 3 preferredVersion:GroupVersionForDiscovery, "
        "4 serverAddressByClientCIDRs:[]ServerAddressByClientCIDR"
    ),
    "APIGroupList": "1 groups:[]APIGroup",
    "APIResource": (
        "1 name, 6 singularName, 2 namespaced:bool, 8 group~, 9 version~, 3 kind, 4 verbs:Verbs, "
        "5 shortNames:[]str, 7 categories:[]str, 10 storageVersionHash~"
    ),
    "APIResourceList": "1 groupVersion, 2 resources:[]APIResource",
    "APIVersions": "1 versions:[]str, 2 serverAddressByClientCIDRs:[]ServerAddressByClientCIDR",
    "ApplyOptions": "1 dryRun:[]str, 2 force:bool, 3 fieldManager",
    "Condition": (
        "1 type, 2 status, 3 observedGeneration:i64~, 4 lastTransitionTime:Time, 5 reason, 6 message"
    ),
    "CreateOptions": "1 dryRun:[]str, 3 fieldManager~, 4 fieldValidation~",
    "DeleteOptions": (
        "1 gracePeriodSeconds:i64, 2 preconditions:Preconditions, 3 orphanDependents:bool, "
        "4 propagationPolicy, 5 dryRun:[]str, 6 ignoreStoreReadErrorWithClusterBreakingPotential:bool"
    ),
    "FieldSelectorRequirement": "1 key, 2 operator, 3 values:[]str",
    "GetOptions": "1 resourceVersion~",
    "GroupKind": "1 group, 2 kind",
    "GroupResource": "1 group, 2 resource",
    "GroupVersion": "1 group, 2 version",
    "GroupVersionForDiscovery": "1 groupVersion, 2 version",
    "GroupVersionKind": "1 group, 2 version, 3 kind",
    "GroupVersionResource": "1 group, 2 version, 3 resource",
    "LabelSelector": "1 matchLabels:{}str, 2 matchExpressions:[]LabelSelectorRequirement",
    "LabelSelectorRequirement": "1 key, 2 operator, 3 values:[]str",
    "List": "1 metadata:ListMeta, 2 items:[]RawExtension",
    "ListMeta": (
        "1 selfLink~, 2 resourceVersion~, 3 continue~, 4 remainingItemCount:i64, 5 shardInfo:ShardInfo"
    ),
    "ListOptions": (
        "1 labelSelector~, 2 fieldSelector~, 3 watch:bool~, 9 allowWatchBookmarks:bool~, "
        "4 resourceVersion~, 10 resourceVersionMatch~, 5 timeoutSeconds:i64, 7 limit:i64~, 8 continue~, "
        "11 sendInitialEvents:bool, 15 shardSelector~"
    ),
    "ManagedFieldsEntry": (
        "1 manager~, 2 operation~, 3 apiVersion~, 4 time:Time, 6 fieldsType~, 7 fieldsV1:FieldsV1, "
        "8 subresource~"
    ),
    "ObjectMeta": (
        "1 name~, 2 generateName~, 3 namespace~, 4 selfLink~, 5 uid~, 6 resourceVersion~, "
        "7 generation:i64~, 8 creationTimestamp:Time~, 9 deletionTimestamp:Time, "
        "10 deletionGracePeriodSeconds:i64, 11 labels:{}str, 12 annotations:{}str, "
        "13 ownerReferences:[]OwnerReference, 14 finalizers:[]str, 17 managedFields:[]ManagedFieldsEntry"
    ),
    "OwnerReference": "5 apiVersion, 1 kind, 3 name, 4 uid, 6 controller:bool, 7 blockOwnerDeletion:bool",
    "PartialObjectMetadata": "1 metadata:ObjectMeta",
    "PartialObjectMetadataList": "1 metadata:ListMeta, 2 items:[]PartialObjectMetadata",
    "PatchOptions": "1 dryRun:[]str, 2 force:bool, 3 fieldManager~, 4 fieldValidation~",
    "Preconditions": "1 uid, 2 resourceVersion",
    "RootPaths": "1 paths:[]str",
    "ServerAddressByClientCIDR": "1 clientCIDR, 2 serverAddress",
    "ShardInfo": "1 selector",
    "Status": "1 metadata:ListMeta, 2 status~, 3 message~, 4 reason~, 5 details:StatusDetails, 6 code:i32~",
    "StatusCause": "1 reason~, 2 message~, 3 field~",
    "StatusDetails": "1 name~, 2 group~, 3 kind~, 6 uid~, 4 causes:[]StatusCause, 5 retryAfterSeconds:i32~",
    "TableOptions": "1 includeObject~",
    "TypeMeta": "1 kind~, 2 apiVersion~",
    "UpdateOptions": "1 dryRun:[]str, 2 fieldManager~, 3 fieldValidation~",
    "Verbs": "[]str",
    "WatchEvent": "1 type, 2 object:RawExtension",
}
