"""The controllers `kubelite controller-manager` runs: one package per controller.

Every controller has the one shape of `kubelite.client.reconcile` (informers → workqueue →
reconcile(key)) and talks to the cluster only through the API server. Shared machinery,
as Kubernetes' pkg/controller has it:

    context.py       ControllerContext: the client, shared informers, clock, recorders
    expectations.py  what a controller waits to see in its cache before acting again
    ownership.py     controller references; claiming (adopt / release) objects
    podcontrol.py    creating and deleting pods from templates, with events; slow start

    replicaset/        ReplicaSets and ReplicationControllers
    deployment/        Deployments: rolling update, recreate, history, rollback
    garbagecollector/  ownerReferences: background, foreground and orphan deletion
    disruption/        PodDisruptionBudget status
    namespace/         deleting a terminating namespace's content
"""
