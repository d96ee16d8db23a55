"""scheduling.k8s.io/v1: PriorityClass. See `descriptors` for the notation."""

SCHEDULING_V1: dict[str, str] = {
    "PriorityClass": (
        "1 metadata:ObjectMeta, 2 value:i32, 3 globalDefault:bool~, 4 description~, 5 preemptionPolicy"
    ),
    "PriorityClassList": "1 metadata:ListMeta, 2 items:[]PriorityClass",
}
