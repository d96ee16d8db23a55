"""core/v1 ("v1") volume messages: Volume, every volume source, projections,
PersistentVolume and PersistentVolumeClaim.

Split from `core` only for size; see `descriptors` for the notation.
"""

CORE_V1_VOLUMES: dict[str, str] = {
    "AWSElasticBlockStoreVolumeSource": "1 volumeID, 2 fsType~, 3 partition:i32~, 4 readOnly:bool~",
    "AzureDiskVolumeSource": "1 diskName, 2 diskURI, 3 cachingMode, 4 fsType, 5 readOnly:bool, 6 kind",
    "AzureFilePersistentVolumeSource": "1 secretName, 2 shareName, 3 readOnly:bool~, 4 secretNamespace",
    "AzureFileVolumeSource": "1 secretName, 2 shareName, 3 readOnly:bool~",
    "CSIPersistentVolumeSource": (
        "1 driver, 2 volumeHandle, 3 readOnly:bool~, 4 fsType~, 5 volumeAttributes:{}str, "
        "6 controllerPublishSecretRef:SecretReference, 7 nodeStageSecretRef:SecretReference, "
        "8 nodePublishSecretRef:SecretReference, 9 controllerExpandSecretRef:SecretReference, "
        "10 nodeExpandSecretRef:SecretReference"
    ),
    "CSIVolumeSource": (
        "1 driver, 2 readOnly:bool, 3 fsType, 4 volumeAttributes:{}str, "
        "5 nodePublishSecretRef:LocalObjectReference"
    ),
    "CephFSPersistentVolumeSource": (
        "1 monitors:[]str, 2 path~, 3 user~, 4 secretFile~, 5 secretRef:SecretReference, 6 readOnly:bool~"
    ),
    "CephFSVolumeSource": (
        "1 monitors:[]str, 2 path~, 3 user~, 4 secretFile~, 5 secretRef:LocalObjectReference, "
        "6 readOnly:bool~"
    ),
    "CinderPersistentVolumeSource": "1 volumeID, 2 fsType~, 3 readOnly:bool~, 4 secretRef:SecretReference",
    "CinderVolumeSource": "1 volumeID, 2 fsType~, 3 readOnly:bool~, 4 secretRef:LocalObjectReference",
    "ClusterTrustBundleProjection": (
        "1 name, 2 signerName, 3 labelSelector:LabelSelector, 5 optional:bool, 4 path"
    ),
    "ConfigMapProjection": "1 ...LocalObjectReference, 2 items:[]KeyToPath, 4 optional:bool",
    "ConfigMapVolumeSource": (
        "1 ...LocalObjectReference, 2 items:[]KeyToPath, 3 defaultMode:i32, 4 optional:bool"
    ),
    "DownwardAPIProjection": "1 items:[]DownwardAPIVolumeFile",
    "DownwardAPIVolumeFile": (
        "1 path, 2 fieldRef:ObjectFieldSelector, 3 resourceFieldRef:ResourceFieldSelector, 4 mode:i32"
    ),
    "DownwardAPIVolumeSource": "1 items:[]DownwardAPIVolumeFile, 2 defaultMode:i32",
    "EmptyDirVolumeSource": "1 medium~, 2 sizeLimit:Quantity",
    "EphemeralVolumeSource": "1 volumeClaimTemplate:PersistentVolumeClaimTemplate",
    "FCVolumeSource": "1 targetWWNs:[]str, 2 lun:i32, 3 fsType~, 4 readOnly:bool~, 5 wwids:[]str",
    "FlexPersistentVolumeSource": (
        "1 driver, 2 fsType~, 3 secretRef:SecretReference, 4 readOnly:bool~, 5 options:{}str"
    ),
    "FlexVolumeSource": (
        "1 driver, 2 fsType~, 3 secretRef:LocalObjectReference, 4 readOnly:bool~, 5 options:{}str"
    ),
    "FlockerVolumeSource": "1 datasetName~, 2 datasetUUID~",
    "GCEPersistentDiskVolumeSource": "1 pdName, 2 fsType~, 3 partition:i32~, 4 readOnly:bool~",
    "GitRepoVolumeSource": "1 repository, 2 revision~, 3 directory~",
    "GlusterfsPersistentVolumeSource": "1 endpoints, 2 path, 3 readOnly:bool~, 4 endpointsNamespace",
    "GlusterfsVolumeSource": "1 endpoints, 2 path, 3 readOnly:bool~",
    "HostPathVolumeSource": "1 path, 2 type",
    "ISCSIPersistentVolumeSource": (
        "1 targetPortal, 2 iqn, 3 lun:i32, 4 iscsiInterface~, 5 fsType~, 6 readOnly:bool~, "
        "7 portals:[]str, 8 chapAuthDiscovery:bool~, 11 chapAuthSession:bool~, "
        "10 secretRef:SecretReference, 12 initiatorName"
    ),
    "ISCSIVolumeSource": (
        "1 targetPortal, 2 iqn, 3 lun:i32, 4 iscsiInterface~, 5 fsType~, 6 readOnly:bool~, "
        "7 portals:[]str, 8 chapAuthDiscovery:bool~, 11 chapAuthSession:bool~, "
        "10 secretRef:LocalObjectReference, 12 initiatorName"
    ),
    "ImageVolumeSource": "1 reference~, 2 pullPolicy~",
    "KeyToPath": "1 key, 2 path, 3 mode:i32",
    "LocalVolumeSource": "1 path, 2 fsType",
    "ModifyVolumeStatus": "1 targetVolumeAttributesClassName~, 2 status",
    "NFSVolumeSource": "1 server, 2 path, 3 readOnly:bool~",
    "PersistentVolume": "1 metadata:ObjectMeta, 2 spec:PersistentVolumeSpec, 3 status:PersistentVolumeStatus",
    "PersistentVolumeClaim": (
        "1 metadata:ObjectMeta, 2 spec:PersistentVolumeClaimSpec, 3 status:PersistentVolumeClaimStatus"
    ),
    "PersistentVolumeClaimCondition": (
        "1 type, 2 status, 3 lastProbeTime:Time, 4 lastTransitionTime:Time, 5 reason~, 6 message~"
    ),
    "PersistentVolumeClaimList": "1 metadata:ListMeta, 2 items:[]PersistentVolumeClaim",
    "PersistentVolumeClaimSpec": (
        "1 accessModes:[]str, 4 selector:LabelSelector, 2 resources:VolumeResourceRequirements, "
        "3 volumeName~, 5 storageClassName, 6 volumeMode, 7 dataSource:TypedLocalObjectReference, "
        "8 dataSourceRef:TypedObjectReference, 9 volumeAttributesClassName"
    ),
    "PersistentVolumeClaimStatus": (
        "1 phase~, 2 accessModes:[]str, 3 capacity:{}Quantity, "
        "4 conditions:[]PersistentVolumeClaimCondition, 5 allocatedResources:{}Quantity, "
        "7 allocatedResourceStatuses:{}str, 8 currentVolumeAttributesClassName, "
        "9 modifyVolumeStatus:ModifyVolumeStatus"
    ),
    "PersistentVolumeClaimTemplate": "1 metadata:ObjectMeta, 2 spec:PersistentVolumeClaimSpec",
    "PersistentVolumeClaimVolumeSource": "1 claimName, 2 readOnly:bool~",
    "PersistentVolumeList": "1 metadata:ListMeta, 2 items:[]PersistentVolume",
    "PersistentVolumeSource": (
        "1 gcePersistentDisk:GCEPersistentDiskVolumeSource, "
        "2 awsElasticBlockStore:AWSElasticBlockStoreVolumeSource, 3 hostPath:HostPathVolumeSource, "
        "4 glusterfs:GlusterfsPersistentVolumeSource, 5 nfs:NFSVolumeSource, "
        "6 rbd:RBDPersistentVolumeSource, 7 iscsi:ISCSIPersistentVolumeSource, "
        "8 cinder:CinderPersistentVolumeSource, 9 cephfs:CephFSPersistentVolumeSource, "
        "10 fc:FCVolumeSource, 11 flocker:FlockerVolumeSource, 12 flexVolume:FlexPersistentVolumeSource, "
        "13 azureFile:AzureFilePersistentVolumeSource, 14 vsphereVolume:VsphereVirtualDiskVolumeSource, "
        "15 quobyte:QuobyteVolumeSource, 16 azureDisk:AzureDiskVolumeSource, "
        "17 photonPersistentDisk:PhotonPersistentDiskVolumeSource, 18 portworxVolume:PortworxVolumeSource, "
        "19 scaleIO:ScaleIOPersistentVolumeSource, 20 local:LocalVolumeSource, "
        "21 storageos:StorageOSPersistentVolumeSource, 22 csi:CSIPersistentVolumeSource"
    ),
    "PersistentVolumeSpec": (
        "1 capacity:{}Quantity, 2 ...PersistentVolumeSource, 3 accessModes:[]str, "
        "4 claimRef:ObjectReference, 5 persistentVolumeReclaimPolicy~, 6 storageClassName~, "
        "7 mountOptions:[]str, 8 volumeMode, 9 nodeAffinity:VolumeNodeAffinity, "
        "10 volumeAttributesClassName"
    ),
    "PersistentVolumeStatus": "1 phase~, 2 message~, 3 reason~, 4 lastPhaseTransitionTime:Time",
    "PhotonPersistentDiskVolumeSource": "1 pdID, 2 fsType~",
    "PodCertificateProjection": (
        "1 signerName~, 2 keyType~, 3 maxExpirationSeconds:i32, 4 credentialBundlePath~, 5 keyPath~, "
        "6 certificateChainPath~, 7 userAnnotations:{}str"
    ),
    "PortworxVolumeSource": "1 volumeID, 2 fsType~, 3 readOnly:bool~",
    "ProjectedVolumeSource": "1 sources:[]VolumeProjection, 2 defaultMode:i32",
    "QuobyteVolumeSource": "1 registry, 2 volume, 3 readOnly:bool~, 4 user~, 5 group~, 6 tenant~",
    "RBDPersistentVolumeSource": (
        "1 monitors:[]str, 2 image, 3 fsType~, 4 pool~, 5 user~, 6 keyring~, 7 secretRef:SecretReference, "
        "8 readOnly:bool~"
    ),
    "RBDVolumeSource": (
        "1 monitors:[]str, 2 image, 3 fsType~, 4 pool~, 5 user~, 6 keyring~, "
        "7 secretRef:LocalObjectReference, 8 readOnly:bool~"
    ),
    "ScaleIOPersistentVolumeSource": (
        "1 gateway, 2 system, 3 secretRef:SecretReference, 4 sslEnabled:bool~, 5 protectionDomain~, "
        "6 storagePool~, 7 storageMode~, 8 volumeName~, 9 fsType~, 10 readOnly:bool~"
    ),
    "ScaleIOVolumeSource": (
        "1 gateway, 2 system, 3 secretRef:LocalObjectReference, 4 sslEnabled:bool~, 5 protectionDomain~, "
        "6 storagePool~, 7 storageMode~, 8 volumeName~, 9 fsType~, 10 readOnly:bool~"
    ),
    "SecretProjection": "1 ...LocalObjectReference, 2 items:[]KeyToPath, 4 optional:bool",
    "SecretReference": "1 name~, 2 namespace~",
    "SecretVolumeSource": "1 secretName~, 2 items:[]KeyToPath, 3 defaultMode:i32, 4 optional:bool",
    "ServiceAccountTokenProjection": "1 audience~, 2 expirationSeconds:i64, 3 path",
    "StorageOSPersistentVolumeSource": (
        "1 volumeName~, 2 volumeNamespace~, 3 fsType~, 4 readOnly:bool~, 5 secretRef:ObjectReference"
    ),
    "StorageOSVolumeSource": (
        "1 volumeName~, 2 volumeNamespace~, 3 fsType~, 4 readOnly:bool~, 5 secretRef:LocalObjectReference"
    ),
    "TypedLocalObjectReference": "1 apiGroup, 2 kind, 3 name",
    "TypedObjectReference": "1 apiGroup, 2 kind, 3 name, 4 namespace",
    "Volume": "1 name, 2 ...VolumeSource",
    "VolumeDevice": "1 name, 2 devicePath",
    "VolumeNodeAffinity": "1 required:NodeSelector",
    "VolumeProjection": (
        "1 secret:SecretProjection, 2 downwardAPI:DownwardAPIProjection, 3 configMap:ConfigMapProjection, "
        "4 serviceAccountToken:ServiceAccountTokenProjection, "
        "5 clusterTrustBundle:ClusterTrustBundleProjection, 6 podCertificate:PodCertificateProjection"
    ),
    "VolumeResourceRequirements": "1 limits:{}Quantity, 2 requests:{}Quantity",
    "VolumeSource": (
        "1 hostPath:HostPathVolumeSource, 2 emptyDir:EmptyDirVolumeSource, "
        "3 gcePersistentDisk:GCEPersistentDiskVolumeSource, "
        "4 awsElasticBlockStore:AWSElasticBlockStoreVolumeSource, 5 gitRepo:GitRepoVolumeSource, "
        "6 secret:SecretVolumeSource, 7 nfs:NFSVolumeSource, 8 iscsi:ISCSIVolumeSource, "
        "9 glusterfs:GlusterfsVolumeSource, 10 persistentVolumeClaim:PersistentVolumeClaimVolumeSource, "
        "11 rbd:RBDVolumeSource, 12 flexVolume:FlexVolumeSource, 13 cinder:CinderVolumeSource, "
        "14 cephfs:CephFSVolumeSource, 15 flocker:FlockerVolumeSource, "
        "16 downwardAPI:DownwardAPIVolumeSource, 17 fc:FCVolumeSource, 18 azureFile:AzureFileVolumeSource, "
        "19 configMap:ConfigMapVolumeSource, 20 vsphereVolume:VsphereVirtualDiskVolumeSource, "
        "21 quobyte:QuobyteVolumeSource, 22 azureDisk:AzureDiskVolumeSource, "
        "23 photonPersistentDisk:PhotonPersistentDiskVolumeSource, 26 projected:ProjectedVolumeSource, "
        "24 portworxVolume:PortworxVolumeSource, 25 scaleIO:ScaleIOVolumeSource, "
        "27 storageos:StorageOSVolumeSource, 28 csi:CSIVolumeSource, 29 ephemeral:EphemeralVolumeSource, "
        "30 image:ImageVolumeSource"
    ),
    "VsphereVirtualDiskVolumeSource": "1 volumePath, 2 fsType~, 3 storagePolicyName~, 4 storagePolicyID~",
}
