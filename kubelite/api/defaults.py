"""Defaulting: the values the API server fills in before it validates and stores an object.

`apply_defaults(rt, obj)` changes `obj` in place so that what is stored (and what
`kubectl get -o yaml` shows) matches Kubernetes: a Deployment gets `replicas: 1` and a
25%/25% rolling update, every container an `imagePullPolicy`, every pod spec a
`schedulerName`, and so on. Only fields the client left unset are touched, and a field is
defaulted exactly where Kubernetes defaults it: `enableServiceLinks`, requests copied
from limits and `hostPort` for hostNetwork pods are Pod-only, never template defaults;
a Job's template gets `restartPolicy: Always` like any pod spec, which Job validation
then refuses, as Kubernetes does.

Quantities in resource lists are rewritten in canonical form (`0.5` -> `500m`), rounded
up to milli-units, because that is how Kubernetes serialises them; a quantity that does
not parse is left alone for validation to report.

Besides the `SetDefaults_*` functions proper, this also applies the few conversions a
v1 request undergoes before validation (`stringData` folded into a Secret's `data`, the
deprecated `serviceAccount` field mirrored with `serviceAccountName`) and the values the
registries set for every new object of a kind (a Namespace's `kubernetes` finalizer, a
Service's single-stack IP family). Allocation (cluster IPs, node ports), name generation
and Job selectors stay with the API server.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from kubelite.api import defaults_config
from kubelite.api.quantity import canonical
from kubelite.api.resources import ResourceType

MAX_INT32 = 2**31 - 1
FILE_MODE_DEFAULT = 0o644  # 420, the mode of files in secret, configMap and projected volumes


def apply_defaults(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Fill in unset fields of `obj`, a decoded object of type `rt`, in place."""
    if rt.custom is not None:
        rt.custom.default(obj)
        return
    defaulter = _DEFAULTERS.get((rt.group, rt.kind))
    if defaulter is not None and isinstance(obj, dict):
        defaulter(obj)


# ---- helpers ------------------------------------------------------------------------------


def _dict(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """parent[key] as a dict, created when absent (Go structs are never nil)."""
    value = parent.get(key)
    if not isinstance(value, dict):
        value = {}
        parent[key] = value
    return value


def _items(parent: Any, key: str) -> list[dict[str, Any]]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _canonical_list(resources: Any, *, milli: bool = True) -> None:
    if isinstance(resources, dict):
        for name, value in resources.items():
            resources[name] = canonical(value, milli_round_up=milli)


# ---- pod specs ----------------------------------------------------------------------------


def pull_policy(image: str) -> str:
    """Always for `:latest` or an untagged image without digest, else IfNotPresent."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    if not image or (not tag and digest):
        return "IfNotPresent"
    return "Always" if (tag or "latest") == "latest" else "IfNotPresent"


def _http_get(handler: Any) -> None:
    if isinstance(handler, dict) and isinstance(handler.get("httpGet"), dict):
        action = handler["httpGet"]
        if not action.get("path"):
            action["path"] = "/"
        if not action.get("scheme"):
            action["scheme"] = "HTTP"


def _probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    for field, default in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        if not probe.get(field):
            probe[field] = default
    _http_get(probe)


def _field_ref(holder: Any) -> None:
    ref = holder.get("fieldRef") if isinstance(holder, dict) else None
    if isinstance(ref, dict) and not ref.get("apiVersion"):
        ref["apiVersion"] = "v1"


def _container(c: dict[str, Any]) -> None:
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = pull_policy(c.get("image") or "")
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    for port in _items(c, "ports"):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
    for env in _items(c, "env"):
        _field_ref(env.get("valueFrom"))
    resources = _dict(c, "resources")
    _canonical_list(resources.get("limits"))
    _canonical_list(resources.get("requests"))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(probe))
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        _http_get(lifecycle.get("postStart"))
        _http_get(lifecycle.get("preStop"))


def _volume(v: dict[str, Any]) -> None:
    if not any(isinstance(val, dict) for key, val in v.items() if key != "name"):
        v["emptyDir"] = {}
    for kind in ("secret", "configMap", "downwardAPI", "projected"):
        source = v.get(kind)
        if isinstance(source, dict) and source.get("defaultMode") is None:
            source["defaultMode"] = FILE_MODE_DEFAULT
    if isinstance(v.get("hostPath"), dict):
        v["hostPath"].setdefault("type", "")
    if isinstance(v.get("emptyDir"), dict) and "sizeLimit" in v["emptyDir"]:
        v["emptyDir"]["sizeLimit"] = canonical(v["emptyDir"]["sizeLimit"])
    for item in _items(v.get("downwardAPI"), "items"):
        _field_ref(item)
    for source in _items(v.get("projected"), "sources"):
        for item in _items(source.get("downwardAPI"), "items"):
            _field_ref(item)
        token = source.get("serviceAccountToken")
        if isinstance(token, dict) and token.get("expirationSeconds") is None:
            token["expirationSeconds"] = 3600
    ephemeral = v.get("ephemeral")
    if isinstance(ephemeral, dict) and isinstance(ephemeral.get("volumeClaimTemplate"), dict):
        _pvc_spec(_dict(ephemeral["volumeClaimTemplate"], "spec"))


def pod_spec_defaults(spec: dict[str, Any]) -> None:
    """Defaults shared by Pods and every pod template."""
    for field, default in (
        ("dnsPolicy", "ClusterFirst"),
        ("restartPolicy", "Always"),
        ("schedulerName", "default-scheduler"),
    ):
        if not spec.get(field):
            spec[field] = default
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    # v1 conversion: the deprecated `serviceAccount` feeds `serviceAccountName`, then mirrors it.
    if not spec.get("serviceAccountName") and spec.get("serviceAccount"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    if spec.get("serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    for volume in _items(spec, "volumes"):
        _volume(volume)
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for c in _items(spec, kind):
            _container(c)
    _canonical_list(spec.get("overhead"))
    affinity = spec.get("affinity")
    if isinstance(affinity, dict) and not affinity:
        del spec["affinity"]


def _pod(pod: dict[str, Any]) -> None:
    spec = _dict(pod, "spec")
    containers = [c for kind in ("containers", "initContainers") for c in _items(spec, kind)]
    for c in containers:
        _requests_from_limits(c)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if spec.get("hostNetwork") is True:
        for port in (p for c in containers for p in _items(c, "ports")):
            if not port.get("hostPort"):
                port["hostPort"] = port.get("containerPort")
    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and grace < 0:
        spec["terminationGracePeriodSeconds"] = 1  # the pod registry turns a negative grace into 1s
    pod_spec_defaults(spec)


def _requests_from_limits(container: dict[str, Any]) -> None:
    """A resource with a limit and no request requests its limit."""
    resources = container.get("resources")
    if not isinstance(resources, dict):
        return
    limits = resources.get("limits")
    if isinstance(limits, dict) and limits:
        requests = _dict(resources, "requests")
        for name, value in limits.items():
            requests.setdefault(name, value)


def _template_spec(holder: dict[str, Any]) -> None:
    """Default `holder.template.spec` (creating both: Go templates are values, not pointers)."""
    template = _dict(holder, "template")
    pod_spec_defaults(_dict(template, "spec"))


def _pod_template(obj: dict[str, Any]) -> None:
    _template_spec(obj)


# ---- apps ---------------------------------------------------------------------------------


def _deployment(d: dict[str, Any]) -> None:
    spec = _dict(d, "spec")
    spec.setdefault("replicas", 1)
    strategy = _dict(spec, "strategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _dict(strategy, "rollingUpdate")
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template_spec(spec)


def _replica_set(rs: dict[str, Any]) -> None:
    spec = _dict(rs, "spec")
    spec.setdefault("replicas", 1)
    _template_spec(spec)


def _stateful_set(sts: dict[str, Any]) -> None:
    spec = _dict(sts, "spec")
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = _dict(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        _dict(strategy, "rollingUpdate")
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict):
        rolling.setdefault("partition", 0)
    retention = _dict(spec, "persistentVolumeClaimRetentionPolicy")
    for field in ("whenDeleted", "whenScaled"):
        if not retention.get(field):
            retention[field] = "Retain"
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    for claim in _items(spec, "volumeClaimTemplates"):
        _persistent_volume_claim(claim)
    _template_spec(spec)


def _daemon_set(ds: dict[str, Any]) -> None:
    spec = _dict(ds, "spec")
    strategy = _dict(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _dict(strategy, "rollingUpdate")
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    _template_spec(spec)


# ---- core workloads and batch -------------------------------------------------------------


def _replication_controller(rc: dict[str, Any]) -> None:
    spec = _dict(rc, "spec")
    template = spec.get("template")
    meta = template.get("metadata") if isinstance(template, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if isinstance(labels, dict):
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        rc_meta = _dict(rc, "metadata")
        if not rc_meta.get("labels"):
            rc_meta["labels"] = dict(labels)
    spec.setdefault("replicas", 1)
    if isinstance(template, dict):
        pod_spec_defaults(_dict(template, "spec"))


def _job(job: dict[str, Any]) -> None:
    spec = _dict(job, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6
    template = spec.get("template")
    template_meta = template.get("metadata") if isinstance(template, dict) else None
    labels = template_meta.get("labels") if isinstance(template_meta, dict) else None
    meta = _dict(job, "metadata")
    if isinstance(labels, dict) and not meta.get("labels"):
        meta["labels"] = dict(labels)
    if not spec.get("completionMode"):
        spec["completionMode"] = "NonIndexed"
    spec.setdefault("suspend", False)
    if not spec.get("podReplacementPolicy"):
        has_failure_policy = spec.get("podFailurePolicy") is not None
        spec["podReplacementPolicy"] = "Failed" if has_failure_policy else "TerminatingOrFailed"
    _template_spec(spec)


def _cron_job(cj: dict[str, Any]) -> None:
    spec = _dict(cj, "spec")
    if not spec.get("concurrencyPolicy"):
        spec["concurrencyPolicy"] = "Allow"
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    # Only the pod template is defaulted here; Job-level defaults apply when the Job is made.
    _template_spec(_dict(_dict(spec, "jobTemplate"), "spec"))


# ---- services and networking --------------------------------------------------------------


def _service(svc: dict[str, Any]) -> None:
    spec = _dict(svc, "spec")
    _session_affinity(spec)
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    kind = spec["type"]
    for port in _items(spec, "ports"):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    external = kind in ("NodePort", "LoadBalancer") or (kind == "ClusterIP" and spec.get("externalIPs"))
    if external and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and kind in ("ClusterIP", "NodePort", "LoadBalancer"):
        spec["internalTrafficPolicy"] = "Cluster"
    if kind == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
        for ingress in _items(_dict(_dict(svc, "status"), "loadBalancer"), "ingress"):
            if ingress.get("ip") and not ingress.get("ipMode"):
                ingress["ipMode"] = "VIP"
    if kind != "ExternalName":
        _ip_families(spec)


def _session_affinity(spec: dict[str, Any]) -> None:
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        client_ip = _dict(_dict(spec, "sessionAffinityConfig"), "clientIP")
        if client_ip.get("timeoutSeconds") is None:
            client_ip["timeoutSeconds"] = 10800


def _ip_families(spec: dict[str, Any]) -> None:
    # kubelite is a single-stack IPv4 cluster; the allocator records that on every Service.
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    headless_selectorless = spec.get("clusterIP") == "None" and not spec.get("selector")
    if spec.get("ipFamilyPolicy") is None:
        spec["ipFamilyPolicy"] = "RequireDualStack" if headless_selectorless else "SingleStack"
    if not spec.get("ipFamilies"):
        spec["ipFamilies"] = ["IPv4"]
    if headless_selectorless and spec["ipFamilyPolicy"] != "SingleStack" and len(spec["ipFamilies"]) < 2:
        other = "IPv6" if spec["ipFamilies"][0] == "IPv4" else "IPv4"
        spec["ipFamilies"] = [*spec["ipFamilies"], other]


def _endpoints(ep: dict[str, Any]) -> None:
    for subset in _items(ep, "subsets"):
        for port in _items(subset, "ports"):
            if not port.get("protocol"):
                port["protocol"] = "TCP"


def _endpoint_slice(eps: dict[str, Any]) -> None:
    for port in _items(eps, "ports"):
        port.setdefault("name", "")
        if not port.get("protocol"):
            port["protocol"] = "TCP"


def _network_policy(np: dict[str, Any]) -> None:
    spec = _dict(np, "spec")
    for direction in ("ingress", "egress"):
        for rule in _items(spec, direction):
            for port in _items(rule, "ports"):
                if not port.get("protocol"):
                    port["protocol"] = "TCP"
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


# ---- configuration, namespaces, nodes ------------------------------------------------------


def _secret(secret: dict[str, Any]) -> None:
    if not secret.get("type"):
        secret["type"] = "Opaque"
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        # v1 conversion: stringData is write-only and overrides data, key by key.
        data = _dict(secret, "data")
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


def _namespace(ns: dict[str, Any]) -> None:
    meta = _dict(ns, "metadata")
    if meta.get("name"):
        _dict(meta, "labels")["kubernetes.io/metadata.name"] = meta["name"]
    status = _dict(ns, "status")
    if not status.get("phase"):
        status["phase"] = "Active"


def _node(node: dict[str, Any]) -> None:
    status = node.get("status")
    if not isinstance(status, dict):
        return
    _canonical_list(status.get("capacity"))
    if status.get("allocatable") is None and isinstance(status.get("capacity"), dict):
        status["allocatable"] = dict(status["capacity"])
    _canonical_list(status.get("allocatable"))


# ---- storage, quotas, scheduling, rbac ----------------------------------------------------


def _pvc_spec(spec: dict[str, Any]) -> None:
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"
    resources = spec.get("resources")
    if isinstance(resources, dict):
        _canonical_list(resources.get("limits"))
        _canonical_list(resources.get("requests"))


def _persistent_volume_claim(pvc: dict[str, Any]) -> None:
    _pvc_spec(_dict(pvc, "spec"))
    status = _dict(pvc, "status")
    if not status.get("phase"):
        status["phase"] = "Pending"


def _persistent_volume(pv: dict[str, Any]) -> None:
    spec = _dict(pv, "spec")
    if not spec.get("persistentVolumeReclaimPolicy"):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"
    _canonical_list(spec.get("capacity"))
    if isinstance(spec.get("hostPath"), dict):
        spec["hostPath"].setdefault("type", "")
    status = _dict(pv, "status")
    if not status.get("phase"):
        status["phase"] = "Pending"


def _limit_range(lr: dict[str, Any]) -> None:
    for item in _items(lr.get("spec"), "limits"):
        for field in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            _canonical_list(item.get(field))
        if item.get("type") != "Container":
            continue
        default, request = _dict(item, "default"), _dict(item, "defaultRequest")
        for name, value in (item.get("max") or {}).items():
            default.setdefault(name, value)  # no default limit: the maximum is the default
        for name, value in default.items():
            request.setdefault(name, value)  # no default request: the default limit is it
        for name, value in (item.get("min") or {}).items():
            request.setdefault(name, value)


def _resource_quota(rq: dict[str, Any]) -> None:
    _canonical_list(_dict(rq, "spec").get("hard"))
    status = rq.get("status")
    if isinstance(status, dict):
        _canonical_list(status.get("hard"))
        _canonical_list(status.get("used"))


def _priority_class(pc: dict[str, Any]) -> None:
    if not pc.get("preemptionPolicy"):
        pc["preemptionPolicy"] = "PreemptLowerPriority"


def _role_binding(binding: dict[str, Any]) -> None:
    ref = _dict(binding, "roleRef")
    if not ref.get("apiGroup"):
        ref["apiGroup"] = "rbac.authorization.k8s.io"
    for subject in _items(binding, "subjects"):
        if not subject.get("apiGroup"):
            kind = subject.get("kind")
            subject["apiGroup"] = (
                ""
                if kind == "ServiceAccount"
                else "rbac.authorization.k8s.io"
                if kind in ("User", "Group")
                else subject.get("apiGroup", "")
            )


_DEFAULTERS: dict[tuple[str, str], Callable[[dict[str, Any]], None]] = {
    ("", "Pod"): _pod,
    ("", "PodTemplate"): _pod_template,
    ("", "ReplicationController"): _replication_controller,
    ("", "Service"): _service,
    ("", "Endpoints"): _endpoints,
    ("", "Secret"): _secret,
    ("", "Namespace"): _namespace,
    ("", "Node"): _node,
    ("", "PersistentVolume"): _persistent_volume,
    ("", "PersistentVolumeClaim"): _persistent_volume_claim,
    ("", "LimitRange"): _limit_range,
    ("", "ResourceQuota"): _resource_quota,
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replica_set,
    ("apps", "StatefulSet"): _stateful_set,
    ("apps", "DaemonSet"): _daemon_set,
    ("batch", "Job"): _job,
    ("batch", "CronJob"): _cron_job,
    ("discovery.k8s.io", "EndpointSlice"): _endpoint_slice,
    ("networking.k8s.io", "NetworkPolicy"): _network_policy,
    ("scheduling.k8s.io", "PriorityClass"): _priority_class,
    ("rbac.authorization.k8s.io", "RoleBinding"): _role_binding,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _role_binding,
    **defaults_config.DEFAULTERS,
}
