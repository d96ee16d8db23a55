"""policy/v1: PodDisruptionBudget and Eviction. See `descriptors` for the notation."""

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
