"""Access-control messages: rbac.authorization.k8s.io/v1, authorization.k8s.io/v1
(access and rules reviews), authentication.k8s.io/v1 (TokenRequest, TokenReview,
SelfSubjectReview), certificates.k8s.io/v1 and admissionregistration.k8s.io/v1.

See `descriptors` for the notation.
"""

RBAC_V1: dict[str, str] = {
    "AggregationRule": "1 clusterRoleSelectors:[]LabelSelector",
    "ClusterRole": "1 metadata:ObjectMeta, 2 rules:[]PolicyRule, 3 aggregationRule:AggregationRule",
    "ClusterRoleBinding": "1 metadata:ObjectMeta, 2 subjects:[]Subject, 3 roleRef:RoleRef",
    "ClusterRoleBindingList": "1 metadata:ListMeta, 2 items:[]ClusterRoleBinding",
    "ClusterRoleList": "1 metadata:ListMeta, 2 items:[]ClusterRole",
    "PolicyRule": (
        "1 verbs:[]str, 2 apiGroups:[]str, 3 resources:[]str, 4 resourceNames:[]str, 5 nonResourceURLs:[]str"
    ),
    "Role": "1 metadata:ObjectMeta, 2 rules:[]PolicyRule",
    "RoleBinding": "1 metadata:ObjectMeta, 2 subjects:[]Subject, 3 roleRef:RoleRef",
    "RoleBindingList": "1 metadata:ListMeta, 2 items:[]RoleBinding",
    "RoleList": "1 metadata:ListMeta, 2 items:[]Role",
    "RoleRef": "1 apiGroup, 2 kind, 3 name",
    "Subject": "1 kind, 2 apiGroup~, 3 name, 4 namespace~",
}

AUTHORIZATION_V1: dict[str, str] = {
    "ExtraValue": "[]str",
    "FieldSelectorAttributes": "1 rawSelector~, 2 requirements:[]FieldSelectorRequirement",
    "LabelSelectorAttributes": "1 rawSelector~, 2 requirements:[]LabelSelectorRequirement",
    "LocalSubjectAccessReview": (
        "1 metadata:ObjectMeta, 2 spec:SubjectAccessReviewSpec, 3 status:SubjectAccessReviewStatus"
    ),
    "NonResourceAttributes": "1 path~, 2 verb~",
    "NonResourceRule": "1 verbs:[]str, 2 nonResourceURLs:[]str",
    "ResourceAttributes": (
        "1 namespace~, 2 verb~, 3 group~, 4 version~, 5 resource~, 6 subresource~, 7 name~, "
        "8 fieldSelector:FieldSelectorAttributes, 9 labelSelector:LabelSelectorAttributes"
    ),
    "ResourceRule": "1 verbs:[]str, 2 apiGroups:[]str, 3 resources:[]str, 4 resourceNames:[]str",
    "SelfSubjectAccessReview": (
        "1 metadata:ObjectMeta, 2 spec:SelfSubjectAccessReviewSpec, 3 status:SubjectAccessReviewStatus"
    ),
    "SelfSubjectAccessReviewSpec": (
        "1 resourceAttributes:ResourceAttributes, 2 nonResourceAttributes:NonResourceAttributes"
    ),
    "SelfSubjectRulesReview": (
        "1 metadata:ObjectMeta, 2 spec:SelfSubjectRulesReviewSpec, 3 status:SubjectRulesReviewStatus"
    ),
    "SelfSubjectRulesReviewSpec": "1 namespace~",
    "SubjectAccessReview": (
        "1 metadata:ObjectMeta, 2 spec:SubjectAccessReviewSpec, 3 status:SubjectAccessReviewStatus"
    ),
    "SubjectAccessReviewSpec": (
        "1 resourceAttributes:ResourceAttributes, 2 nonResourceAttributes:NonResourceAttributes, 3 user~, "
        "4 groups:[]str, 5 extra:{}ExtraValue, 6 uid~"
    ),
    "SubjectAccessReviewStatus": "1 allowed:bool, 4 denied:bool~, 2 reason~, 3 evaluationError~",
    "SubjectRulesReviewStatus": (
        "1 resourceRules:[]ResourceRule, 2 nonResourceRules:[]NonResourceRule, 3 incomplete:bool, "
        "4 evaluationError~"
    ),
}

AUTHENTICATION_V1: dict[str, str] = {
    "BoundObjectReference": "1 kind~, 2 apiVersion~, 3 name~, 4 uid~",
    "ExtraValue": "[]str",
    "SelfSubjectReview": "1 metadata:ObjectMeta, 2 status:SelfSubjectReviewStatus",
    "SelfSubjectReviewStatus": "1 userInfo:UserInfo",
    "TokenRequest": "1 metadata:ObjectMeta, 2 spec:TokenRequestSpec, 3 status:TokenRequestStatus",
    "TokenRequestSpec": "1 audiences:[]str, 4 expirationSeconds:i64, 3 boundObjectRef:BoundObjectReference",
    "TokenRequestStatus": "1 token, 2 expirationTimestamp:Time",
    "TokenReview": "1 metadata:ObjectMeta, 2 spec:TokenReviewSpec, 3 status:TokenReviewStatus",
    "TokenReviewSpec": "1 token~, 2 audiences:[]str",
    "TokenReviewStatus": "1 authenticated:bool~, 2 user:UserInfo, 4 audiences:[]str, 3 error~",
    "UserInfo": "1 username~, 2 uid~, 3 groups:[]str, 4 extra:{}ExtraValue",
}

CERTIFICATES_V1: dict[str, str] = {
    "CertificateSigningRequest": (
        "1 metadata:ObjectMeta, 2 spec:CertificateSigningRequestSpec, "
        "3 status:CertificateSigningRequestStatus"
    ),
    "CertificateSigningRequestCondition": (
        "1 type, 6 status, 2 reason~, 3 message~, 4 lastUpdateTime:Time, 5 lastTransitionTime:Time"
    ),
    "CertificateSigningRequestList": "1 metadata:ListMeta, 2 items:[]CertificateSigningRequest",
    "CertificateSigningRequestSpec": (
        "1 request:bytes, 7 signerName, 8 expirationSeconds:i32, 5 usages:[]str, 2 username~, 3 uid~, "
        "4 groups:[]str, 6 extra:{}ExtraValue"
    ),
    "CertificateSigningRequestStatus": (
        "1 conditions:[]CertificateSigningRequestCondition, 2 certificate:bytes~"
    ),
    "ExtraValue": "[]str",
}

ADMISSIONREGISTRATION_V1: dict[str, str] = {
    "ApplyConfiguration": "1 expression~",
    "AuditAnnotation": "1 key, 2 valueExpression",
    "ExpressionWarning": "2 fieldRef, 3 warning",
    "JSONPatch": "1 expression~",
    "MatchCondition": "1 name, 2 expression",
    "MatchResources": (
        "1 namespaceSelector:LabelSelector, 2 objectSelector:LabelSelector, "
        "3 resourceRules:[]NamedRuleWithOperations, 4 excludeResourceRules:[]NamedRuleWithOperations, "
        "7 matchPolicy"
    ),
    "MutatingAdmissionPolicy": "1 metadata:ObjectMeta, 2 spec:MutatingAdmissionPolicySpec",
    "MutatingAdmissionPolicyBinding": "1 metadata:ObjectMeta, 2 spec:MutatingAdmissionPolicyBindingSpec",
    "MutatingAdmissionPolicyBindingList": "1 metadata:ListMeta, 2 items:[]MutatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicyBindingSpec": (
        "1 policyName~, 2 paramRef:ParamRef, 3 matchResources:MatchResources"
    ),
    "MutatingAdmissionPolicyList": "1 metadata:ListMeta, 2 items:[]MutatingAdmissionPolicy",
    "MutatingAdmissionPolicySpec": (
        "1 paramKind:ParamKind, 2 matchConstraints:MatchResources, 3 variables:[]Variable, "
        "4 mutations:[]Mutation, 5 failurePolicy, 6 matchConditions:[]MatchCondition, "
        "7 reinvocationPolicy~"
    ),
    "MutatingWebhook": (
        "1 name, 2 clientConfig:WebhookClientConfig, 3 rules:[]RuleWithOperations, 4 failurePolicy, "
        "9 matchPolicy, 5 namespaceSelector:LabelSelector, 11 objectSelector:LabelSelector, 6 sideEffects, "
        "7 timeoutSeconds:i32, 8 admissionReviewVersions:[]str, 10 reinvocationPolicy, "
        "12 matchConditions:[]MatchCondition"
    ),
    "MutatingWebhookConfiguration": "1 metadata:ObjectMeta, 2 webhooks:[]MutatingWebhook",
    "MutatingWebhookConfigurationList": "1 metadata:ListMeta, 2 items:[]MutatingWebhookConfiguration",
    "Mutation": "2 patchType, 3 applyConfiguration:ApplyConfiguration, 4 jsonPatch:JSONPatch",
    "NamedRuleWithOperations": "1 resourceNames:[]str, 2 ...RuleWithOperations",
    "ParamKind": "1 apiVersion~, 2 kind~",
    "ParamRef": "1 name~, 2 namespace~, 3 selector:LabelSelector, 4 parameterNotFoundAction",
    "Rule": "1 apiGroups:[]str, 2 apiVersions:[]str, 3 resources:[]str, 4 scope",
    "RuleWithOperations": "1 operations:[]str, 2 ...Rule",
    "ServiceReference": "1 namespace, 2 name, 3 path, 4 port:i32",
    "TypeChecking": "1 expressionWarnings:[]ExpressionWarning",
    "ValidatingAdmissionPolicy": (
        "1 metadata:ObjectMeta, 2 spec:ValidatingAdmissionPolicySpec, "
        "3 status:ValidatingAdmissionPolicyStatus"
    ),
    "ValidatingAdmissionPolicyBinding": "1 metadata:ObjectMeta, 2 spec:ValidatingAdmissionPolicyBindingSpec",
    "ValidatingAdmissionPolicyBindingList": "1 metadata:ListMeta, 2 items:[]ValidatingAdmissionPolicyBinding",
    "ValidatingAdmissionPolicyBindingSpec": (
        "1 policyName~, 2 paramRef:ParamRef, 3 matchResources:MatchResources, 4 validationActions:[]str"
    ),
    "ValidatingAdmissionPolicyList": "1 metadata:ListMeta, 2 items:[]ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicySpec": (
        "1 paramKind:ParamKind, 2 matchConstraints:MatchResources, 3 validations:[]Validation, "
        "4 failurePolicy, 5 auditAnnotations:[]AuditAnnotation, 6 matchConditions:[]MatchCondition, "
        "7 variables:[]Variable"
    ),
    "ValidatingAdmissionPolicyStatus": (
        "1 observedGeneration:i64~, 2 typeChecking:TypeChecking, 3 conditions:[]Condition"
    ),
    "ValidatingWebhook": (
        "1 name, 2 clientConfig:WebhookClientConfig, 3 rules:[]RuleWithOperations, 4 failurePolicy, "
        "9 matchPolicy, 5 namespaceSelector:LabelSelector, 10 objectSelector:LabelSelector, 6 sideEffects, "
        "7 timeoutSeconds:i32, 8 admissionReviewVersions:[]str, 11 matchConditions:[]MatchCondition"
    ),
    "ValidatingWebhookConfiguration": "1 metadata:ObjectMeta, 2 webhooks:[]ValidatingWebhook",
    "ValidatingWebhookConfigurationList": "1 metadata:ListMeta, 2 items:[]ValidatingWebhookConfiguration",
    "Validation": "1 expression, 2 message~, 3 reason, 4 messageExpression~",
    "Variable": "1 name, 2 expression",
    "WebhookClientConfig": "3 url, 1 service:ServiceReference, 2 caBundle:bytes~",
}
