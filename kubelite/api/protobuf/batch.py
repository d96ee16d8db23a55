"""batch/v1 messages: Job and CronJob.

See `descriptors` for the notation.
"""

BATCH_V1: dict[str, str] = {
    "CronJob": "1 metadata:ObjectMeta, 2 spec:CronJobSpec, 3 status:CronJobStatus",
    "CronJobList": "1 metadata:ListMeta, 2 items:[]CronJob",
    "CronJobSpec": (
        "1 schedule, 8 timeZone, 2 startingDeadlineSeconds:i64, 3 concurrencyPolicy~, 4 suspend:bool, "
        "5 jobTemplate:JobTemplateSpec, 6 successfulJobsHistoryLimit:i32, 7 failedJobsHistoryLimit:i32"
    ),
    "CronJobStatus": "1 active:[]core/v1.ObjectReference, 4 lastScheduleTime:Time, 5 lastSuccessfulTime:Time",
    "Job": "1 metadata:ObjectMeta, 2 spec:JobSpec, 3 status:JobStatus",
    "JobCondition": (
        "1 type, 2 status, 3 lastProbeTime:Time, 4 lastTransitionTime:Time, 5 reason~, 6 message~"
    ),
    "JobList": "1 metadata:ListMeta, 2 items:[]Job",
    "JobSpec": (
        "1 parallelism:i32, 2 completions:i32, 3 activeDeadlineSeconds:i64, "
        "11 podFailurePolicy:PodFailurePolicy, 16 successPolicy:SuccessPolicy, 7 backoffLimit:i32, "
        "12 backoffLimitPerIndex:i32, 13 maxFailedIndexes:i32, 4 selector:LabelSelector, "
        "5 manualSelector:bool, 6 template:core/v1.PodTemplateSpec, 8 ttlSecondsAfterFinished:i32, "
        "9 completionMode, 10 suspend:bool, 14 podReplacementPolicy, 15 managedBy"
    ),
    "JobStatus": (
        "1 conditions:[]JobCondition, 2 startTime:Time, 3 completionTime:Time, 4 active:i32~, "
        "5 succeeded:i32~, 6 failed:i32~, 11 terminating:i32, 7 completedIndexes~, 10 failedIndexes, "
        "8 uncountedTerminatedPods:UncountedTerminatedPods, 9 ready:i32"
    ),
    "JobTemplateSpec": "1 metadata:ObjectMeta, 2 spec:JobSpec",
    "PodFailurePolicy": "1 rules:[]PodFailurePolicyRule",
    "PodFailurePolicyOnExitCodesRequirement": "1 containerName, 2 operator, 3 values:[]i32",
    "PodFailurePolicyOnPodConditionsPattern": "1 type, 2 status",
    "PodFailurePolicyRule": (
        "1 action, 2 onExitCodes:PodFailurePolicyOnExitCodesRequirement, "
        "3 onPodConditions:[]PodFailurePolicyOnPodConditionsPattern"
    ),
    "SuccessPolicy": "1 rules:[]SuccessPolicyRule",
    "SuccessPolicyRule": "1 succeededIndexes, 2 succeededCount:i32",
    "UncountedTerminatedPods": "1 succeeded:[]str, 2 failed:[]str",
}
