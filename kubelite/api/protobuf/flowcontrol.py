"""flowcontrol.apiserver.k8s.io/v1 (FlowSchema, PriorityLevelConfiguration) and
apiregistration.k8s.io/v1 (APIService). See `descriptors` for the notation."""

FLOWCONTROL_V1: dict[str, str] = {
    "ExemptPriorityLevelConfiguration": "1 nominalConcurrencyShares:i32, 2 lendablePercent:i32",
    "FlowDistinguisherMethod": "1 type",
    "FlowSchema": "1 metadata:ObjectMeta, 2 spec:FlowSchemaSpec, 3 status:FlowSchemaStatus",
    "FlowSchemaCondition": "1 type~, 2 status~, 3 lastTransitionTime:Time, 4 reason~, 5 message~",
    "FlowSchemaList": "1 metadata:ListMeta, 2 items:[]FlowSchema",
    "FlowSchemaSpec": (
        "1 priorityLevelConfiguration:PriorityLevelConfigurationReference, 2 matchingPrecedence:i32, "
        "3 distinguisherMethod:FlowDistinguisherMethod, 4 rules:[]PolicyRulesWithSubjects"
    ),
    "FlowSchemaStatus": "1 conditions:[]FlowSchemaCondition",
    "GroupSubject": "1 name",
    "LimitResponse": "1 type, 2 queuing:QueuingConfiguration",
    "LimitedPriorityLevelConfiguration": (
        "1 nominalConcurrencyShares:i32, 2 limitResponse:LimitResponse, 3 lendablePercent:i32, "
        "4 borrowingLimitPercent:i32"
    ),
    "NonResourcePolicyRule": "1 verbs:[]str, 6 nonResourceURLs:[]str",
    "PolicyRulesWithSubjects": (
        "1 subjects:[]Subject, 2 resourceRules:[]ResourcePolicyRule, "
        "3 nonResourceRules:[]NonResourcePolicyRule"
    ),
    "PriorityLevelConfiguration": (
        "1 metadata:ObjectMeta, 2 spec:PriorityLevelConfigurationSpec, "
        "3 status:PriorityLevelConfigurationStatus"
    ),
    "PriorityLevelConfigurationCondition": (
        "1 type~, 2 status~, 3 lastTransitionTime:Time, 4 reason~, 5 message~"
    ),
    "PriorityLevelConfigurationList": "1 metadata:ListMeta, 2 items:[]PriorityLevelConfiguration",
    "PriorityLevelConfigurationReference": "1 name",
    "PriorityLevelConfigurationSpec": (
        "1 type, 2 limited:LimitedPriorityLevelConfiguration, 3 exempt:ExemptPriorityLevelConfiguration"
    ),
    "PriorityLevelConfigurationStatus": "1 conditions:[]PriorityLevelConfigurationCondition",
    "QueuingConfiguration": "1 queues:i32, 2 handSize:i32, 3 queueLengthLimit:i32",
    "ResourcePolicyRule": (
        "1 verbs:[]str, 2 apiGroups:[]str, 3 resources:[]str, 4 clusterScope:bool~, 5 namespaces:[]str"
    ),
    "ServiceAccountSubject": "1 namespace, 2 name",
    "Subject": "1 kind, 2 user:UserSubject, 3 group:GroupSubject, 4 serviceAccount:ServiceAccountSubject",
    "UserSubject": "1 name",
}

APIREGISTRATION_V1: dict[str, str] = {
    "APIService": "1 metadata:ObjectMeta, 2 spec:APIServiceSpec, 3 status:APIServiceStatus",
    "APIServiceCondition": "1 type, 2 status, 3 lastTransitionTime:Time, 4 reason~, 5 message~",
    "APIServiceList": "1 metadata:ListMeta, 2 items:[]APIService",
    "APIServiceSpec": (
        "1 service:ServiceReference, 2 group~, 3 version~, 4 insecureSkipTLSVerify:bool~, 5 caBundle:bytes~, "
        "7 groupPriorityMinimum:i32, 8 versionPriority:i32"
    ),
    "APIServiceStatus": "1 conditions:[]APIServiceCondition",
    "ServiceReference": "1 namespace~, 2 name~, 3 port:i32",
}
