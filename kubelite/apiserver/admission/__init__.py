"""Admission: the plugins every write passes after authentication and before storage.

One module per concept:

    chain.py                     the chain: order, default-on set, the enable/disable flags,
                                 mutating then validating phases; Kubernetes' Forbidden wording
    objects.py                   the plugins' reads of the watch cache
    namespacelifecycle.py        NamespaceLifecycle: no creates in missing or terminating
                                 namespaces; the system namespaces cannot be deleted
    limitranger.py               LimitRanger: LimitRange defaults and min/max/ratio bounds
    serviceaccount.py            ServiceAccount: the default service account and the projected
                                 kube-api-access token volume
    taintnodesbycondition.py     TaintNodesByCondition: new nodes start not-ready:NoSchedule
    podsecurity.py               PodSecurity: the namespace's pod-security.kubernetes.io labels
    podsecuritychecks.py         the baseline and restricted Pod Security Standards
    priority.py                  Priority: priorityClassName -> priority; the system classes
    defaulttolerationseconds.py  DefaultTolerationSeconds: 300 s not-ready/unreachable tolerations
    resourcequota.py             ResourceQuota: usage charged and limited on create/update
    plugins.py                   the plugins by name, made for one API server

The ClusterIP/NodePort allocator (kubelite/apiserver/allocator.py) runs after the chain, as
Kubernetes' Service storage allocates after admission.
"""
