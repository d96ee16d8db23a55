"""node.k8s.io/v1: RuntimeClass. See `descriptors` for the notation."""

NODE_V1: dict[str, str] = {
    "Overhead": "1 podFixed:{}Quantity",
    "RuntimeClass": "1 metadata:ObjectMeta, 2 handler, 3 overhead:Overhead, 4 scheduling:Scheduling",
    "RuntimeClassList": "1 metadata:ListMeta, 2 items:[]RuntimeClass",
    "Scheduling": "1 nodeSelector:{}str, 2 tolerations:[]core/v1.Toleration",
}
