"""apps/v1 (Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision)
and autoscaling/v1 + v2 (Scale, HorizontalPodAutoscaler) messages.

See `descriptors` for the notation.
"""

APPS_V1: dict[str, str] = {
    "ControllerRevision": "1 metadata:ObjectMeta, 2 data:RawExtension, 3 revision:i64",
    "ControllerRevisionList": "1 metadata:ListMeta, 2 items:[]ControllerRevision",
    "DaemonSet": "1 metadata:ObjectMeta, 2 spec:DaemonSetSpec, 3 status:DaemonSetStatus",
    "DaemonSetCondition": "1 type, 2 status, 3 lastTransitionTime:Time, 4 reason~, 5 message~",
    "DaemonSetList": "1 metadata:ListMeta, 2 items:[]DaemonSet",
    "DaemonSetSpec": (
        "1 selector:LabelSelector, 2 template:core/v1.PodTemplateSpec, "
        "3 updateStrategy:DaemonSetUpdateStrategy, 4 minReadySeconds:i32~, 6 revisionHistoryLimit:i32"
    ),
    "DaemonSetStatus": (
        "1 currentNumberScheduled:i32, 2 numberMisscheduled:i32, 3 desiredNumberScheduled:i32, "
        "4 numberReady:i32, 5 observedGeneration:i64~, 6 updatedNumberScheduled:i32~, "
        "7 numberAvailable:i32~, 8 numberUnavailable:i32~, 9 collisionCount:i32, "
        "10 conditions:[]DaemonSetCondition"
    ),
    "DaemonSetUpdateStrategy": "1 type~, 2 rollingUpdate:RollingUpdateDaemonSet",
    "Deployment": "1 metadata:ObjectMeta, 2 spec:DeploymentSpec, 3 status:DeploymentStatus",
    "DeploymentCondition": (
        "1 type, 2 status, 6 lastUpdateTime:Time, 7 lastTransitionTime:Time, 4 reason~, 5 message~"
    ),
    "DeploymentList": "1 metadata:ListMeta, 2 items:[]Deployment",
    "DeploymentSpec": (
        "1 replicas:i32, 2 selector:LabelSelector, 3 template:core/v1.PodTemplateSpec, "
        "4 strategy:DeploymentStrategy, 5 minReadySeconds:i32~, 6 revisionHistoryLimit:i32, "
        "7 paused:bool~, 9 progressDeadlineSeconds:i32"
    ),
    "DeploymentStatus": (
        "1 observedGeneration:i64~, 2 replicas:i32~, 3 updatedReplicas:i32~, 7 readyReplicas:i32~, "
        "4 availableReplicas:i32~, 5 unavailableReplicas:i32~, 9 terminatingReplicas:i32, "
        "6 conditions:[]DeploymentCondition, 8 collisionCount:i32"
    ),
    "DeploymentStrategy": "1 type~, 2 rollingUpdate:RollingUpdateDeployment",
    "ReplicaSet": "1 metadata:ObjectMeta, 2 spec:ReplicaSetSpec, 3 status:ReplicaSetStatus",
    "ReplicaSetCondition": "1 type, 2 status, 3 lastTransitionTime:Time, 4 reason~, 5 message~",
    "ReplicaSetList": "1 metadata:ListMeta, 2 items:[]ReplicaSet",
    "ReplicaSetSpec": (
        "1 replicas:i32, 4 minReadySeconds:i32~, 2 selector:LabelSelector, 3 template:core/v1.PodTemplateSpec"
    ),
    "ReplicaSetStatus": (
        "1 replicas:i32, 2 fullyLabeledReplicas:i32~, 4 readyReplicas:i32~, 5 availableReplicas:i32~, "
        "7 terminatingReplicas:i32, 3 observedGeneration:i64~, 6 conditions:[]ReplicaSetCondition"
    ),
    "RollingUpdateDaemonSet": "1 maxUnavailable:IntOrString, 2 maxSurge:IntOrString",
    "RollingUpdateDeployment": "1 maxUnavailable:IntOrString, 2 maxSurge:IntOrString",
    "RollingUpdateStatefulSetStrategy": "1 partition:i32, 2 maxUnavailable:IntOrString",
    "StatefulSet": "1 metadata:ObjectMeta, 2 spec:StatefulSetSpec, 3 status:StatefulSetStatus",
    "StatefulSetCondition": "1 type, 2 status, 3 lastTransitionTime:Time, 4 reason~, 5 message~",
    "StatefulSetList": "1 metadata:ListMeta, 2 items:[]StatefulSet",
    "StatefulSetOrdinals": "1 start:i32",
    "StatefulSetPersistentVolumeClaimRetentionPolicy": "1 whenDeleted~, 2 whenScaled~",
    "StatefulSetSpec": (
        "1 replicas:i32, 2 selector:LabelSelector, 3 template:core/v1.PodTemplateSpec, "
        "4 volumeClaimTemplates:[]core/v1.PersistentVolumeClaim, 5 serviceName, 6 podManagementPolicy~, "
        "7 updateStrategy:StatefulSetUpdateStrategy, 8 revisionHistoryLimit:i32, 9 minReadySeconds:i32~, "
        "10 persistentVolumeClaimRetentionPolicy:StatefulSetPersistentVolumeClaimRetentionPolicy, "
        "11 ordinals:StatefulSetOrdinals"
    ),
    "StatefulSetStatus": (
        "1 observedGeneration:i64~, 2 replicas:i32, 3 readyReplicas:i32~, 4 currentReplicas:i32~, "
        "5 updatedReplicas:i32~, 6 currentRevision~, 7 updateRevision~, 9 collisionCount:i32, "
        "10 conditions:[]StatefulSetCondition, 11 availableReplicas:i32"
    ),
    "StatefulSetUpdateStrategy": "1 type~, 2 rollingUpdate:RollingUpdateStatefulSetStrategy",
}

AUTOSCALING_V1: dict[str, str] = {
    "ContainerResourceMetricSource": (
        "1 name, 2 targetAverageUtilization:i32, 3 targetAverageValue:Quantity, 5 container"
    ),
    "ContainerResourceMetricStatus": (
        "1 name, 2 currentAverageUtilization:i32, 3 currentAverageValue:Quantity, 4 container"
    ),
    "CrossVersionObjectReference": "1 kind, 2 name, 3 apiVersion~",
    "ExternalMetricSource": (
        "1 metricName, 2 metricSelector:LabelSelector, 3 targetValue:Quantity, 4 targetAverageValue:Quantity"
    ),
    "ExternalMetricStatus": (
        "1 metricName, 2 metricSelector:LabelSelector, 3 currentValue:Quantity, "
        "4 currentAverageValue:Quantity"
    ),
    "HorizontalPodAutoscaler": (
        "1 metadata:ObjectMeta, 2 spec:HorizontalPodAutoscalerSpec, 3 status:HorizontalPodAutoscalerStatus"
    ),
    "HorizontalPodAutoscalerCondition": "1 type, 2 status, 3 lastTransitionTime:Time, 4 reason~, 5 message~",
    "HorizontalPodAutoscalerList": "1 metadata:ListMeta, 2 items:[]HorizontalPodAutoscaler",
    "HorizontalPodAutoscalerSpec": (
        "1 scaleTargetRef:CrossVersionObjectReference, 2 minReplicas:i32, 3 maxReplicas:i32, "
        "4 targetCPUUtilizationPercentage:i32"
    ),
    "HorizontalPodAutoscalerStatus": (
        "1 observedGeneration:i64, 2 lastScaleTime:Time, 3 currentReplicas:i32, 4 desiredReplicas:i32, "
        "5 currentCPUUtilizationPercentage:i32"
    ),
    "MetricSpec": (
        "1 type, 2 object:ObjectMetricSource, 3 pods:PodsMetricSource, 4 resource:ResourceMetricSource, "
        "7 containerResource:ContainerResourceMetricSource, 5 external:ExternalMetricSource"
    ),
    "MetricStatus": (
        "1 type, 2 object:ObjectMetricStatus, 3 pods:PodsMetricStatus, 4 resource:ResourceMetricStatus, "
        "7 containerResource:ContainerResourceMetricStatus, 5 external:ExternalMetricStatus"
    ),
    "ObjectMetricSource": (
        "1 target:CrossVersionObjectReference, 2 metricName, 3 targetValue:Quantity, "
        "4 selector:LabelSelector, 5 averageValue:Quantity"
    ),
    "ObjectMetricStatus": (
        "1 target:CrossVersionObjectReference, 2 metricName, 3 currentValue:Quantity, "
        "4 selector:LabelSelector, 5 averageValue:Quantity"
    ),
    "PodsMetricSource": "1 metricName, 2 targetAverageValue:Quantity, 3 selector:LabelSelector",
    "PodsMetricStatus": "1 metricName, 2 currentAverageValue:Quantity, 3 selector:LabelSelector",
    "ResourceMetricSource": "1 name, 2 targetAverageUtilization:i32, 3 targetAverageValue:Quantity",
    "ResourceMetricStatus": "1 name, 2 currentAverageUtilization:i32, 3 currentAverageValue:Quantity",
    "Scale": "1 metadata:ObjectMeta, 2 spec:ScaleSpec, 3 status:ScaleStatus",
    "ScaleSpec": "1 replicas:i32~",
    "ScaleStatus": "1 replicas:i32, 2 selector~",
}

AUTOSCALING_V2: dict[str, str] = {
    "ContainerResourceMetricSource": "1 name, 2 target:MetricTarget, 3 container",
    "ContainerResourceMetricStatus": "1 name, 2 current:MetricValueStatus, 3 container",
    "CrossVersionObjectReference": "1 kind, 2 name, 3 apiVersion~",
    "ExternalMetricSource": "1 metric:MetricIdentifier, 2 target:MetricTarget",
    "ExternalMetricStatus": "1 metric:MetricIdentifier, 2 current:MetricValueStatus",
    "HPAScalingPolicy": "1 type, 2 value:i32, 3 periodSeconds:i32",
    "HPAScalingRules": (
        "3 stabilizationWindowSeconds:i32, 1 selectPolicy, 2 policies:[]HPAScalingPolicy, "
        "4 tolerance:Quantity"
    ),
    "HorizontalPodAutoscaler": (
        "1 metadata:ObjectMeta, 2 spec:HorizontalPodAutoscalerSpec, 3 status:HorizontalPodAutoscalerStatus"
    ),
    "HorizontalPodAutoscalerBehavior": "1 scaleUp:HPAScalingRules, 2 scaleDown:HPAScalingRules",
    "HorizontalPodAutoscalerCondition": "1 type, 2 status, 3 lastTransitionTime:Time, 4 reason~, 5 message~",
    "HorizontalPodAutoscalerList": "1 metadata:ListMeta, 2 items:[]HorizontalPodAutoscaler",
    "HorizontalPodAutoscalerSpec": (
        "1 scaleTargetRef:CrossVersionObjectReference, 2 minReplicas:i32, 3 maxReplicas:i32, "
        "4 metrics:[]MetricSpec, 5 behavior:HorizontalPodAutoscalerBehavior"
    ),
    "HorizontalPodAutoscalerStatus": (
        "1 observedGeneration:i64, 2 lastScaleTime:Time, 3 currentReplicas:i32~, 4 desiredReplicas:i32, "
        "5 currentMetrics:[]MetricStatus, 6 conditions:[]HorizontalPodAutoscalerCondition"
    ),
    "MetricIdentifier": "1 name, 2 selector:LabelSelector",
    "MetricSpec": (
        "1 type, 2 object:ObjectMetricSource, 3 pods:PodsMetricSource, 4 resource:ResourceMetricSource, "
        "7 containerResource:ContainerResourceMetricSource, 5 external:ExternalMetricSource"
    ),
    "MetricStatus": (
        "1 type, 2 object:ObjectMetricStatus, 3 pods:PodsMetricStatus, 4 resource:ResourceMetricStatus, "
        "7 containerResource:ContainerResourceMetricStatus, 5 external:ExternalMetricStatus"
    ),
    "MetricTarget": "1 type, 2 value:Quantity, 3 averageValue:Quantity, 4 averageUtilization:i32",
    "MetricValueStatus": "1 value:Quantity, 2 averageValue:Quantity, 3 averageUtilization:i32",
    "ObjectMetricSource": (
        "1 describedObject:CrossVersionObjectReference, 2 target:MetricTarget, 3 metric:MetricIdentifier"
    ),
    "ObjectMetricStatus": (
        "1 metric:MetricIdentifier, 2 current:MetricValueStatus, "
        "3 describedObject:CrossVersionObjectReference"
    ),
    "PodsMetricSource": "1 metric:MetricIdentifier, 2 target:MetricTarget",
    "PodsMetricStatus": "1 metric:MetricIdentifier, 2 current:MetricValueStatus",
    "ResourceMetricSource": "1 name, 2 target:MetricTarget",
    "ResourceMetricStatus": "1 name, 2 current:MetricValueStatus",
}
