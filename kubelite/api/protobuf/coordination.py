"""coordination.k8s.io/v1: Lease. See `descriptors` for the notation."""

COORDINATION_V1: dict[str, str] = {
    "Lease": "1 metadata:ObjectMeta, 2 spec:LeaseSpec",
    "LeaseList": "1 metadata:ListMeta, 2 items:[]Lease",
    "LeaseSpec": (
        "1 holderIdentity, 2 leaseDurationSeconds:i32, 3 acquireTime:MicroTime, 4 renewTime:MicroTime, "
        "5 leaseTransitions:i32, 6 strategy, 7 preferredHolder"
    ),
}
