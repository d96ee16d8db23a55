"""networking.k8s.io/v1 (Ingress, IngressClass, NetworkPolicy, ServiceCIDR, IPAddress)
and discovery.k8s.io/v1 (EndpointSlice) messages.

See `descriptors` for the notation.
"""

NETWORKING_V1: dict[str, str] = {
    "HTTPIngressPath": "1 path~, 3 pathType, 2 backend:IngressBackend",
    "HTTPIngressRuleValue": "1 paths:[]HTTPIngressPath",
    "IPAddress": "1 metadata:ObjectMeta, 2 spec:IPAddressSpec",
    "IPAddressList": "1 metadata:ListMeta, 2 items:[]IPAddress",
    "IPAddressSpec": "1 parentRef:ParentReference",
    "IPBlock": "1 cidr, 2 except:[]str",
    "Ingress": "1 metadata:ObjectMeta, 2 spec:IngressSpec, 3 status:IngressStatus",
    "IngressBackend": "4 service:IngressServiceBackend, 3 resource:core/v1.TypedLocalObjectReference",
    "IngressClass": "1 metadata:ObjectMeta, 2 spec:IngressClassSpec",
    "IngressClassList": "1 metadata:ListMeta, 2 items:[]IngressClass",
    "IngressClassParametersReference": "1 apiGroup, 2 kind, 3 name, 4 scope, 5 namespace",
    "IngressClassSpec": "1 controller~, 2 parameters:IngressClassParametersReference",
    "IngressList": "1 metadata:ListMeta, 2 items:[]Ingress",
    "IngressLoadBalancerIngress": "1 ip~, 2 hostname~, 4 ports:[]IngressPortStatus",
    "IngressLoadBalancerStatus": "1 ingress:[]IngressLoadBalancerIngress",
    "IngressPortStatus": "1 port:i32, 2 protocol, 3 error",
    "IngressRule": "1 host~, 2 ...IngressRuleValue",
    "IngressRuleValue": "1 http:HTTPIngressRuleValue",
    "IngressServiceBackend": "1 name, 2 port:ServiceBackendPort",
    "IngressSpec": (
        "4 ingressClassName, 1 defaultBackend:IngressBackend, 2 tls:[]IngressTLS, 3 rules:[]IngressRule"
    ),
    "IngressStatus": "1 loadBalancer:IngressLoadBalancerStatus",
    "IngressTLS": "1 hosts:[]str, 2 secretName~",
    "NetworkPolicy": "1 metadata:ObjectMeta, 2 spec:NetworkPolicySpec",
    "NetworkPolicyEgressRule": "1 ports:[]NetworkPolicyPort, 2 to:[]NetworkPolicyPeer",
    "NetworkPolicyIngressRule": "1 ports:[]NetworkPolicyPort, 2 from:[]NetworkPolicyPeer",
    "NetworkPolicyList": "1 metadata:ListMeta, 2 items:[]NetworkPolicy",
    "NetworkPolicyPeer": "1 podSelector:LabelSelector, 2 namespaceSelector:LabelSelector, 3 ipBlock:IPBlock",
    "NetworkPolicyPort": "1 protocol, 2 port:IntOrString, 3 endPort:i32",
    "NetworkPolicySpec": (
        "1 podSelector:LabelSelector, 2 ingress:[]NetworkPolicyIngressRule, "
        "3 egress:[]NetworkPolicyEgressRule, 4 policyTypes:[]str"
    ),
    "ParentReference": "1 group~, 2 resource~, 3 namespace~, 4 name~",
    "ServiceBackendPort": "1 name~, 2 number:i32~",
    "ServiceCIDR": "1 metadata:ObjectMeta, 2 spec:ServiceCIDRSpec, 3 status:ServiceCIDRStatus",
    "ServiceCIDRList": "1 metadata:ListMeta, 2 items:[]ServiceCIDR",
    "ServiceCIDRSpec": "1 cidrs:[]str",
    "ServiceCIDRStatus": "1 conditions:[]Condition",
}

DISCOVERY_V1: dict[str, str] = {
    "Endpoint": (
        "1 addresses:[]str, 2 conditions:EndpointConditions, 3 hostname, "
        "4 targetRef:core/v1.ObjectReference, 5 deprecatedTopology:{}str, 6 nodeName, 7 zone, "
        "8 hints:EndpointHints"
    ),
    "EndpointConditions": "1 ready:bool, 2 serving:bool, 3 terminating:bool",
    "EndpointHints": "1 forZones:[]ForZone, 2 forNodes:[]ForNode",
    "EndpointPort": "1 name, 2 protocol, 3 port:i32, 4 appProtocol",
    "EndpointSlice": "1 metadata:ObjectMeta, 4 addressType, 2 endpoints:[]Endpoint, 3 ports:[]EndpointPort",
    "EndpointSliceList": "1 metadata:ListMeta, 2 items:[]EndpointSlice",
    "ForNode": "1 name",
    "ForZone": "1 name",
}
