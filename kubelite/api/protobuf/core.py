"""core/v1 ("v1") messages except volumes: Pod, Node, Service, Event, ...

Volume sources and persistent volumes live in `core_volumes`; together they
are one package. See `descriptors` for the notation.
"""

CORE_V1: dict[str, str] = {
    "Affinity": "1 nodeAffinity:NodeAffinity, 2 podAffinity:PodAffinity, 3 podAntiAffinity:PodAntiAffinity",
    "AppArmorProfile": "1 type, 2 localhostProfile",
    "AttachedVolume": "1 name, 2 devicePath",
    "AvoidPods": "1 preferAvoidPods:[]PreferAvoidPodsEntry",
    "Binding": "1 metadata:ObjectMeta, 2 target:ObjectReference",
    "Capabilities": "1 add:[]str, 2 drop:[]str",
    "ClientIPConfig": "1 timeoutSeconds:i32",
    "ComponentCondition": "1 type, 2 status, 3 message~, 4 error~",
    "ComponentStatus": "1 metadata:ObjectMeta, 2 conditions:[]ComponentCondition",
    "ComponentStatusList": "1 metadata:ListMeta, 2 items:[]ComponentStatus",
    "ConfigMap": "1 metadata:ObjectMeta, 4 immutable:bool, 2 data:{}str, 3 binaryData:{}bytes",
    "ConfigMapEnvSource": "1 ...LocalObjectReference, 2 optional:bool",
    "ConfigMapKeySelector": "1 ...LocalObjectReference, 2 key, 3 optional:bool",
    "ConfigMapList": "1 metadata:ListMeta, 2 items:[]ConfigMap",
    "ConfigMapNodeConfigSource": "1 namespace, 2 name, 3 uid~, 4 resourceVersion~, 5 kubeletConfigKey",
    "Container": (
        "1 name, 2 image~, 3 command:[]str, 4 args:[]str, 5 workingDir~, 6 ports:[]ContainerPort, "
        "19 envFrom:[]EnvFromSource, 7 env:[]EnvVar, 8 resources:ResourceRequirements, "
        "23 resizePolicy:[]ContainerResizePolicy, 24 restartPolicy, "
        "25 restartPolicyRules:[]ContainerRestartRule, 9 volumeMounts:[]VolumeMount, "
        "21 volumeDevices:[]VolumeDevice, 10 livenessProbe:Probe, 11 readinessProbe:Probe, "
        "22 startupProbe:Probe, 12 lifecycle:Lifecycle, 13 terminationMessagePath~, "
        "20 terminationMessagePolicy~, 14 imagePullPolicy~, 15 securityContext:SecurityContext, "
        "16 stdin:bool~, 17 stdinOnce:bool~, 18 tty:bool~"
    ),
    "ContainerExtendedResourceRequest": "1 containerName, 2 resourceName, 3 requestName",
    "ContainerImage": "1 names:[]str, 2 sizeBytes:i64~",
    "ContainerPort": "1 name~, 2 hostPort:i32~, 3 containerPort:i32, 4 protocol~, 5 hostIP~",
    "ContainerResizePolicy": "1 resourceName, 2 restartPolicy",
    "ContainerRestartRule": "1 action~, 2 exitCodes:ContainerRestartRuleOnExitCodes",
    "ContainerRestartRuleOnExitCodes": "1 operator~, 2 values:[]i32",
    "ContainerState": (
        "1 waiting:ContainerStateWaiting, 2 running:ContainerStateRunning, "
        "3 terminated:ContainerStateTerminated"
    ),
    "ContainerStateRunning": "1 startedAt:Time",
    "ContainerStateTerminated": (
        "1 exitCode:i32, 2 signal:i32~, 3 reason~, 4 message~, 5 startedAt:Time, 6 finishedAt:Time, "
        "7 containerID~"
    ),
    "ContainerStateWaiting": "1 reason~, 2 message~",
    "ContainerStatus": (
        "1 name, 2 state:ContainerState, 3 lastState:ContainerState, 4 ready:bool, 5 restartCount:i32, "
        "6 image, 7 imageID, 8 containerID~, 9 started:bool, 10 allocatedResources:{}Quantity, "
        "11 resources:ResourceRequirements, 12 volumeMounts:[]VolumeMountStatus, 13 user:ContainerUser, "
        "14 allocatedResourcesStatus:[]ResourceStatus, 15 stopSignal"
    ),
    "ContainerUser": "1 linux:LinuxContainerUser",
    "DaemonEndpoint": "1 Port:i32",
    "EndpointAddress": "1 ip, 3 hostname~, 4 nodeName, 2 targetRef:ObjectReference",
    "EndpointPort": "1 name~, 2 port:i32, 3 protocol~, 4 appProtocol",
    "EndpointSubset": (
        "1 addresses:[]EndpointAddress, 2 notReadyAddresses:[]EndpointAddress, 3 ports:[]EndpointPort"
    ),
    "Endpoints": "1 metadata:ObjectMeta, 2 subsets:[]EndpointSubset",
    "EndpointsList": "1 metadata:ListMeta, 2 items:[]Endpoints",
    "EnvFromSource": "1 prefix~, 2 configMapRef:ConfigMapEnvSource, 3 secretRef:SecretEnvSource",
    "EnvVar": "1 name, 2 value~, 3 valueFrom:EnvVarSource",
    "EnvVarSource": (
        "1 fieldRef:ObjectFieldSelector, 2 resourceFieldRef:ResourceFieldSelector, "
        "3 configMapKeyRef:ConfigMapKeySelector, 4 secretKeyRef:SecretKeySelector, "
        "5 fileKeyRef:FileKeySelector"
    ),
    "EphemeralContainer": "1 ...EphemeralContainerCommon, 2 targetContainerName~",
    "Event": (
        "1 metadata:ObjectMeta, 2 involvedObject:ObjectReference, 3 reason~, 4 message~, "
        "5 source:EventSource, 6 firstTimestamp:Time, 7 lastTimestamp:Time, 8 count:i32~, 9 type~, "
        "10 eventTime:MicroTime, 11 series:EventSeries, 12 action~, 13 related:ObjectReference, "
        "14 reportingComponent, 15 reportingInstance"
    ),
    "EventList": "1 metadata:ListMeta, 2 items:[]Event",
    "EventSeries": "1 count:i32~, 2 lastObservedTime:MicroTime",
    "EventSource": "1 component~, 2 host~",
    "ExecAction": "1 command:[]str",
    "FileKeySelector": "1 volumeName, 2 path, 3 key, 4 optional:bool",
    "GRPCAction": "1 port:i32, 2 service",
    "HTTPGetAction": "1 path~, 2 port:IntOrString, 3 host~, 4 scheme~, 5 httpHeaders:[]HTTPHeader",
    "HTTPHeader": "1 name, 2 value",
    "HostAlias": "1 ip, 2 hostnames:[]str",
    "HostIP": "1 ip",
    "ImageVolumeStatus": "1 imageRef~",
    "Lifecycle": "1 postStart:LifecycleHandler, 2 preStop:LifecycleHandler, 3 stopSignal",
    "LifecycleHandler": (
        "1 exec:ExecAction, 2 httpGet:HTTPGetAction, 3 tcpSocket:TCPSocketAction, 4 sleep:SleepAction"
    ),
    "LimitRange": "1 metadata:ObjectMeta, 2 spec:LimitRangeSpec",
    "LimitRangeItem": (
        "1 type, 2 max:{}Quantity, 3 min:{}Quantity, 4 default:{}Quantity, 5 defaultRequest:{}Quantity, "
        "6 maxLimitRequestRatio:{}Quantity"
    ),
    "LimitRangeList": "1 metadata:ListMeta, 2 items:[]LimitRange",
    "LimitRangeSpec": "1 limits:[]LimitRangeItem",
    "LinuxContainerUser": "1 uid:i64, 2 gid:i64, 3 supplementalGroups:[]i64",
    "LoadBalancerIngress": "1 ip~, 2 hostname~, 3 ipMode, 4 ports:[]PortStatus",
    "LoadBalancerStatus": "1 ingress:[]LoadBalancerIngress",
    "LocalObjectReference": "1 name~",
    "Namespace": "1 metadata:ObjectMeta, 2 spec:NamespaceSpec, 3 status:NamespaceStatus",
    "NamespaceCondition": "1 type, 2 status, 4 lastTransitionTime:Time, 5 reason~, 6 message~",
    "NamespaceList": "1 metadata:ListMeta, 2 items:[]Namespace",
    "NamespaceSpec": "1 finalizers:[]str",
    "NamespaceStatus": "1 phase~, 2 conditions:[]NamespaceCondition",
    "Node": "1 metadata:ObjectMeta, 2 spec:NodeSpec, 3 status:NodeStatus",
    "NodeAddress": "1 type, 2 address",
    "NodeAffinity": (
        "1 requiredDuringSchedulingIgnoredDuringExecution:NodeSelector, "
        "2 preferredDuringSchedulingIgnoredDuringExecution:[]PreferredSchedulingTerm"
    ),
    "NodeAllocatableResourceClaimStatus": "1 resourceClaimName, 2 containers:[]str, 3 resources:{}Quantity",
    "NodeCondition": (
        "1 type, 2 status, 3 lastHeartbeatTime:Time, 4 lastTransitionTime:Time, 5 reason~, 6 message~"
    ),
    "NodeConfigSource": "2 configMap:ConfigMapNodeConfigSource",
    "NodeConfigStatus": (
        "1 assigned:NodeConfigSource, 2 active:NodeConfigSource, 3 lastKnownGood:NodeConfigSource, 4 error~"
    ),
    "NodeDaemonEndpoints": "1 kubeletEndpoint:DaemonEndpoint",
    "NodeFeatures": "1 supplementalGroupsPolicy:bool",
    "NodeList": "1 metadata:ListMeta, 2 items:[]Node",
    "NodeProxyOptions": "1 path~",
    "NodeRuntimeHandler": "1 name, 2 features:NodeRuntimeHandlerFeatures",
    "NodeRuntimeHandlerFeatures": "1 recursiveReadOnlyMounts:bool, 2 userNamespaces:bool",
    "NodeSelector": "1 nodeSelectorTerms:[]NodeSelectorTerm",
    "NodeSelectorRequirement": "1 key, 2 operator, 3 values:[]str",
    "NodeSelectorTerm": (
        "1 matchExpressions:[]NodeSelectorRequirement, 2 matchFields:[]NodeSelectorRequirement"
    ),
    "NodeSpec": (
        "1 podCIDR~, 7 podCIDRs:[]str, 3 providerID~, 4 unschedulable:bool~, 5 taints:[]Taint, "
        "6 configSource:NodeConfigSource, 2 externalID~"
    ),
    "NodeStatus": (
        "1 capacity:{}Quantity, 2 allocatable:{}Quantity, 3 phase~, 4 conditions:[]NodeCondition, "
        "5 addresses:[]NodeAddress, 6 daemonEndpoints:NodeDaemonEndpoints, 7 nodeInfo:NodeSystemInfo, "
        "8 images:[]ContainerImage, 9 volumesInUse:[]str, 10 volumesAttached:[]AttachedVolume, "
        "11 config:NodeConfigStatus, 12 runtimeHandlers:[]NodeRuntimeHandler, 13 features:NodeFeatures, "
        "14 declaredFeatures:[]str"
    ),
    "NodeSwapStatus": "1 capacity:i64",
    "NodeSystemInfo": (
        "1 machineID, 2 systemUUID, 3 bootID, 4 kernelVersion, 5 osImage, 6 containerRuntimeVersion, "
        "7 kubeletVersion, 8 kubeProxyVersion, 9 operatingSystem, 10 architecture, 11 swap:NodeSwapStatus"
    ),
    "ObjectFieldSelector": "1 apiVersion~, 2 fieldPath",
    "ObjectReference": (
        "1 kind~, 2 namespace~, 3 name~, 4 uid~, 5 apiVersion~, 6 resourceVersion~, 7 fieldPath~"
    ),
    "Pod": "1 metadata:ObjectMeta, 2 spec:PodSpec, 3 status:PodStatus",
    "PodAffinity": (
        "1 requiredDuringSchedulingIgnoredDuringExecution:[]PodAffinityTerm, "
        "2 preferredDuringSchedulingIgnoredDuringExecution:[]WeightedPodAffinityTerm"
    ),
    "PodAffinityTerm": (
        "1 labelSelector:LabelSelector, 2 namespaces:[]str, 3 topologyKey, "
        "4 namespaceSelector:LabelSelector, 5 matchLabelKeys:[]str, 6 mismatchLabelKeys:[]str"
    ),
    "PodAntiAffinity": (
        "1 requiredDuringSchedulingIgnoredDuringExecution:[]PodAffinityTerm, "
        "2 preferredDuringSchedulingIgnoredDuringExecution:[]WeightedPodAffinityTerm"
    ),
    "PodAttachOptions": "1 stdin:bool~, 2 stdout:bool~, 3 stderr:bool~, 4 tty:bool~, 5 container~",
    "PodCondition": (
        "1 type, 7 observedGeneration:i64~, 2 status, 3 lastProbeTime:Time, 4 lastTransitionTime:Time, "
        "5 reason~, 6 message~"
    ),
    "PodDNSConfig": "1 nameservers:[]str, 2 searches:[]str, 3 options:[]PodDNSConfigOption",
    "PodDNSConfigOption": "1 name~, 2 value",
    "PodExecOptions": (
        "1 stdin:bool~, 2 stdout:bool~, 3 stderr:bool~, 4 tty:bool~, 5 container~, 6 command:[]str"
    ),
    "PodExtendedResourceClaimStatus": (
        "1 requestMappings:[]ContainerExtendedResourceRequest, 2 resourceClaimName"
    ),
    "PodIP": "1 ip",
    "PodList": "1 metadata:ListMeta, 2 items:[]Pod",
    "PodLogOptions": (
        "1 container~, 2 follow:bool~, 3 previous:bool~, 4 sinceSeconds:i64, 5 sinceTime:Time, "
        "6 timestamps:bool~, 7 tailLines:i64, 8 limitBytes:i64, 9 insecureSkipTLSVerifyBackend:bool~, "
        "10 stream"
    ),
    "PodOS": "1 name",
    "PodPortForwardOptions": "1 ports:[]i32",
    "PodProxyOptions": "1 path~",
    "PodReadinessGate": "1 conditionType",
    "PodResourceClaim": "1 name, 3 resourceClaimName, 4 resourceClaimTemplateName",
    "PodResourceClaimStatus": "1 name, 2 resourceClaimName",
    "PodSchedulingGate": "1 name",
    "PodSchedulingGroup": "1 podGroupName",
    "PodSecurityContext": (
        "1 seLinuxOptions:SELinuxOptions, 8 windowsOptions:WindowsSecurityContextOptions, 2 runAsUser:i64, "
        "6 runAsGroup:i64, 3 runAsNonRoot:bool, 4 supplementalGroups:[]i64, 12 supplementalGroupsPolicy, "
        "5 fsGroup:i64, 7 sysctls:[]Sysctl, 9 fsGroupChangePolicy, 10 seccompProfile:SeccompProfile, "
        "11 appArmorProfile:AppArmorProfile, 13 seLinuxChangePolicy"
    ),
    "PodSignature": "1 podController:OwnerReference",
    "PodSpec": (
        "1 volumes:[]Volume, 20 initContainers:[]Container, 2 containers:[]Container, "
        "34 ephemeralContainers:[]EphemeralContainer, 3 restartPolicy~, "
        "4 terminationGracePeriodSeconds:i64, 5 activeDeadlineSeconds:i64, 6 dnsPolicy~, "
        "7 nodeSelector:{}str, 8 serviceAccountName~, 9 serviceAccount~, "
        "21 automountServiceAccountToken:bool, 10 nodeName~, 11 hostNetwork:bool~, 12 hostPID:bool~, "
        "13 hostIPC:bool~, 27 shareProcessNamespace:bool, 14 securityContext:PodSecurityContext, "
        "15 imagePullSecrets:[]LocalObjectReference, 16 hostname~, 17 subdomain~, 18 affinity:Affinity, "
        "19 schedulerName~, 22 tolerations:[]Toleration, 23 hostAliases:[]HostAlias, "
        "24 priorityClassName~, 25 priority:i32, 26 dnsConfig:PodDNSConfig, "
        "28 readinessGates:[]PodReadinessGate, 29 runtimeClassName, 30 enableServiceLinks:bool, "
        "31 preemptionPolicy, 32 overhead:{}Quantity, "
        "33 topologySpreadConstraints:[]TopologySpreadConstraint, 35 setHostnameAsFQDN:bool, 36 os:PodOS, "
        "37 hostUsers:bool, 38 schedulingGates:[]PodSchedulingGate, 39 resourceClaims:[]PodResourceClaim, "
        "40 resources:ResourceRequirements, 41 hostnameOverride, 43 schedulingGroup:PodSchedulingGroup"
    ),
    "PodStatus": (
        "17 observedGeneration:i64~, 1 phase~, 2 conditions:[]PodCondition, 3 message~, 4 reason~, "
        "11 nominatedNodeName~, 5 hostIP~, 16 hostIPs:[]HostIP, 6 podIP~, 12 podIPs:[]PodIP, "
        "7 startTime:Time, 10 initContainerStatuses:[]ContainerStatus, "
        "8 containerStatuses:[]ContainerStatus, 9 qosClass~, "
        "13 ephemeralContainerStatuses:[]ContainerStatus, 14 resize~, "
        "15 resourceClaimStatuses:[]PodResourceClaimStatus, "
        "18 extendedResourceClaimStatus:PodExtendedResourceClaimStatus, 19 allocatedResources:{}Quantity, "
        "20 resources:ResourceRequirements, "
        "21 nodeAllocatableResourceClaimStatuses:[]NodeAllocatableResourceClaimStatus"
    ),
    "PodStatusResult": "1 metadata:ObjectMeta, 2 status:PodStatus",
    "PodTemplate": "1 metadata:ObjectMeta, 2 template:PodTemplateSpec",
    "PodTemplateList": "1 metadata:ListMeta, 2 items:[]PodTemplate",
    "PodTemplateSpec": "1 metadata:ObjectMeta, 2 spec:PodSpec",
    "PortStatus": "1 port:i32, 2 protocol, 3 error",
    "Preconditions": "1 uid",
    "PreferAvoidPodsEntry": "1 podSignature:PodSignature, 2 evictionTime:Time, 3 reason~, 4 message~",
    "PreferredSchedulingTerm": "1 weight:i32, 2 preference:NodeSelectorTerm",
    "Probe": (
        "1 ...ProbeHandler, 2 initialDelaySeconds:i32~, 3 timeoutSeconds:i32~, 4 periodSeconds:i32~, "
        "5 successThreshold:i32~, 6 failureThreshold:i32~, 7 terminationGracePeriodSeconds:i64"
    ),
    "ProbeHandler": (
        "1 exec:ExecAction, 2 httpGet:HTTPGetAction, 3 tcpSocket:TCPSocketAction, 4 grpc:GRPCAction"
    ),
    "RangeAllocation": "1 metadata:ObjectMeta, 2 range, 3 data:bytes",
    "ReplicationController": (
        "1 metadata:ObjectMeta, 2 spec:ReplicationControllerSpec, 3 status:ReplicationControllerStatus"
    ),
    "ReplicationControllerCondition": "1 type, 2 status, 3 lastTransitionTime:Time, 4 reason~, 5 message~",
    "ReplicationControllerList": "1 metadata:ListMeta, 2 items:[]ReplicationController",
    "ReplicationControllerSpec": (
        "1 replicas:i32, 4 minReadySeconds:i32~, 2 selector:{}str, 3 template:PodTemplateSpec"
    ),
    "ReplicationControllerStatus": (
        "1 replicas:i32, 2 fullyLabeledReplicas:i32~, 4 readyReplicas:i32~, 5 availableReplicas:i32~, "
        "3 observedGeneration:i64~, 6 conditions:[]ReplicationControllerCondition"
    ),
    "ResourceClaim": "1 name, 2 request~",
    "ResourceFieldSelector": "1 containerName~, 2 resource, 3 divisor:Quantity",
    "ResourceHealth": "1 resourceID, 2 health~, 6 message",
    "ResourceQuota": "1 metadata:ObjectMeta, 2 spec:ResourceQuotaSpec, 3 status:ResourceQuotaStatus",
    "ResourceQuotaList": "1 metadata:ListMeta, 2 items:[]ResourceQuota",
    "ResourceQuotaSpec": "1 hard:{}Quantity, 2 scopes:[]str, 3 scopeSelector:ScopeSelector",
    "ResourceQuotaStatus": "1 hard:{}Quantity, 2 used:{}Quantity",
    "ResourceRequirements": "1 limits:{}Quantity, 2 requests:{}Quantity, 3 claims:[]ResourceClaim",
    "ResourceStatus": "1 name, 2 resources:[]ResourceHealth",
    "SELinuxOptions": "1 user~, 2 role~, 3 type~, 4 level~",
    "ScopeSelector": "1 matchExpressions:[]ScopedResourceSelectorRequirement",
    "ScopedResourceSelectorRequirement": "1 scopeName, 2 operator, 3 values:[]str",
    "SeccompProfile": "1 type, 2 localhostProfile",
    "Secret": "1 metadata:ObjectMeta, 5 immutable:bool, 2 data:{}bytes, 4 stringData:{}str, 3 type~",
    "SecretEnvSource": "1 ...LocalObjectReference, 2 optional:bool",
    "SecretKeySelector": "1 ...LocalObjectReference, 2 key, 3 optional:bool",
    "SecretList": "1 metadata:ListMeta, 2 items:[]Secret",
    "SecurityContext": (
        "1 capabilities:Capabilities, 2 privileged:bool, 3 seLinuxOptions:SELinuxOptions, "
        "10 windowsOptions:WindowsSecurityContextOptions, 4 runAsUser:i64, 8 runAsGroup:i64, "
        "5 runAsNonRoot:bool, 6 readOnlyRootFilesystem:bool, 7 allowPrivilegeEscalation:bool, 9 procMount, "
        "11 seccompProfile:SeccompProfile, 12 appArmorProfile:AppArmorProfile"
    ),
    "SerializedReference": "1 reference:ObjectReference",
    "Service": "1 metadata:ObjectMeta, 2 spec:ServiceSpec, 3 status:ServiceStatus",
    "ServiceAccount": (
        "1 metadata:ObjectMeta, 2 secrets:[]ObjectReference, 3 imagePullSecrets:[]LocalObjectReference, "
        "4 automountServiceAccountToken:bool"
    ),
    "ServiceAccountList": "1 metadata:ListMeta, 2 items:[]ServiceAccount",
    "ServiceList": "1 metadata:ListMeta, 2 items:[]Service",
    "ServicePort": (
        "1 name~, 2 protocol~, 6 appProtocol, 3 port:i32, 4 targetPort:IntOrString, 5 nodePort:i32~"
    ),
    "ServiceProxyOptions": "1 path~",
    "ServiceSpec": (
        "1 ports:[]ServicePort, 2 selector:{}str, 3 clusterIP~, 18 clusterIPs:[]str, 4 type~, "
        "5 externalIPs:[]str, 7 sessionAffinity~, 8 loadBalancerIP~, 9 loadBalancerSourceRanges:[]str, "
        "10 externalName~, 11 externalTrafficPolicy~, 12 healthCheckNodePort:i32~, "
        "13 publishNotReadyAddresses:bool~, 14 sessionAffinityConfig:SessionAffinityConfig, "
        "19 ipFamilies:[]str, 17 ipFamilyPolicy, 20 allocateLoadBalancerNodePorts:bool, "
        "21 loadBalancerClass, 22 internalTrafficPolicy, 23 trafficDistribution"
    ),
    "ServiceStatus": "1 loadBalancer:LoadBalancerStatus, 2 conditions:[]Condition",
    "SessionAffinityConfig": "1 clientIP:ClientIPConfig",
    "SleepAction": "1 seconds:i64",
    "Sysctl": "1 name, 2 value",
    "TCPSocketAction": "1 port:IntOrString, 2 host~",
    "Taint": "1 key, 2 value~, 3 effect, 4 timeAdded:Time",
    "Toleration": "1 key~, 2 operator~, 3 value~, 4 effect~, 5 tolerationSeconds:i64",
    "TopologySelectorLabelRequirement": "1 key, 2 values:[]str",
    "TopologySelectorTerm": "1 matchLabelExpressions:[]TopologySelectorLabelRequirement",
    "TopologySpreadConstraint": (
        "1 maxSkew:i32, 2 topologyKey, 3 whenUnsatisfiable, 4 labelSelector:LabelSelector, "
        "5 minDomains:i32, 6 nodeAffinityPolicy, 7 nodeTaintsPolicy, 8 matchLabelKeys:[]str"
    ),
    "VolumeMount": (
        "1 name, 2 readOnly:bool~, 7 recursiveReadOnly, 3 mountPath, 4 subPath~, 5 mountPropagation, "
        "6 subPathExpr~"
    ),
    "VolumeMountStatus": (
        "1 name, 2 mountPath, 3 readOnly:bool~, 4 recursiveReadOnly, 5 volumeStatus:VolumeStatus"
    ),
    "VolumeStatus": "1 image:ImageVolumeStatus",
    "WeightedPodAffinityTerm": "1 weight:i32, 2 podAffinityTerm:PodAffinityTerm",
    "WindowsSecurityContextOptions": (
        "1 gmsaCredentialSpecName, 2 gmsaCredentialSpec, 3 runAsUserName, 4 hostProcess:bool"
    ),
}

# Go's EphemeralContainerCommon repeats Container field for field, numbers included.
CORE_V1["EphemeralContainerCommon"] = CORE_V1["Container"]
