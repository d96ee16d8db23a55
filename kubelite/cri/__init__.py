"""CRI v1: the protocol between a kubelet and a container runtime.

`api_pb2`/`api_pb2_grpc` are the generated bindings of `proto/api.proto` (package
`runtime.v1`, the real field numbers, so crictl or a Kubernetes kubelet interoperate);
`protocols` holds the role-split Protocols both sides implement; `client` is the async gRPC
client kubelite's kubelet uses; `errors` maps gRPC status codes to exceptions.
"""
