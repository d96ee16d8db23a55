"""Workloads: Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController, Job, CronJob."""

# ruff: noqa: E501 -- expected messages are quoted whole, as users see them

import pytest
from api_validation_builders import container, deployment, messages, meta, template


def test_a_defaulted_deployment_is_valid():
    assert messages("apps", "Deployment", deployment()) == []


def test_negative_replicas():
    assert messages("apps", "Deployment", deployment(replicas=-1)) == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    ]


def test_selector_is_required_and_must_match_the_template():
    d = deployment()
    del d["spec"]["selector"]
    assert messages("apps", "Deployment", d) == ["spec.selector: Required value"]
    d = deployment(selector={"matchLabels": {"app": "x"}})
    assert messages("apps", "Deployment", d) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not '
        "match template `labels`"
    ]


def test_empty_selector_is_invalid():
    assert messages("apps", "Deployment", deployment(selector={})) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"
    ]


def test_selector_expressions_are_validated():
    sel = {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "Near"}]}
    assert messages("apps", "Deployment", deployment(selector=sel)) == [
        'spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, '
        'MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"tier", '
        'Operator:"Near", Values:[]string(nil)}}}: invalid label selector',
    ]


def test_template_restart_policy_must_be_always():
    d = deployment(template=template(restartPolicy="Never"))
    assert messages("apps", "Deployment", d) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
    ]


def test_template_pod_spec_is_validated():
    d = deployment(template=template(containers=[{"name": "app"}]))
    assert messages("apps", "Deployment", d) == ["spec.template.spec.containers[0].image: Required value"]


def test_missing_template_reports_its_parts():
    d = deployment()
    del d["spec"]["template"]
    assert messages("apps", "Deployment", d) == [
        "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match "
        "template `labels`",
        "spec.template.spec.containers: Required value",
    ]


@pytest.mark.parametrize(
    ("rolling", "expected"),
    [
        (
            {"maxUnavailable": 0, "maxSurge": 0},
            [
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
            ],
        ),
        (
            {"maxUnavailable": "120%"},
            [
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 120%: must not be greater than 100%"
            ],
        ),
        (
            {"maxSurge": "lots"},
            [
                "spec.strategy.rollingUpdate.maxSurge: Invalid value: lots: a valid percent string must be a numeric "
                "string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
            ],
        ),
        (
            {"maxSurge": -1},
            ["spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"],
        ),
    ],
)
def test_rolling_update_parameters(rolling, expected):
    d = deployment(strategy={"type": "RollingUpdate", "rollingUpdate": rolling})
    assert messages("apps", "Deployment", d) == expected


def test_strategy_type():
    assert messages("apps", "Deployment", deployment(strategy={"type": "Recreate", "rollingUpdate": {}})) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ]
    msgs = messages("apps", "Deployment", deployment(strategy={"type": "Gradual"}))
    assert msgs == [
        'spec.strategy: Unsupported value: {"type":"Gradual"}: supported values: "Recreate", "RollingUpdate"'
    ]


def test_progress_deadline_must_exceed_min_ready():
    d = deployment(minReadySeconds=600)
    assert messages("apps", "Deployment", d) == [
        "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"
    ]


def test_selector_is_immutable_on_update():
    old = deployment()
    new = deployment(
        selector={"matchLabels": {"app": "web", "v": "2"}}, template=template(labels={"app": "web", "v": "2"})
    )
    assert messages("apps", "Deployment", new, old) == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
    ]
    assert messages("apps", "Deployment", deployment(replicas=5), old) == []


def test_replicaset():
    rs = {
        "metadata": meta("rs"),
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template()},
    }
    assert messages("apps", "ReplicaSet", rs) == []
    rs["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 5
    assert messages("apps", "ReplicaSet", rs) == [
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"
    ]


def statefulset(**spec):
    spec.setdefault("selector", {"matchLabels": {"app": "web"}})
    spec.setdefault("template", template())
    spec.setdefault("serviceName", "web")
    return {"metadata": meta("db"), "spec": spec}


def test_statefulset():
    assert messages("apps", "StatefulSet", statefulset()) == []
    assert messages("apps", "StatefulSet", statefulset(podManagementPolicy="Random")) == [
        "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"
    ]
    assert messages("apps", "StatefulSet", statefulset(selector={})) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset"
    ]


def test_statefulset_names_are_dns_labels():
    sts = statefulset()
    sts["metadata"]["name"] = "db.primary"
    assert messages("apps", "StatefulSet", sts) == [
        'metadata.name: Invalid value: "db.primary": must not contain dots'
    ]


def test_statefulset_update_rules():
    old = statefulset()
    assert messages("apps", "StatefulSet", statefulset(replicas=3), old) == []
    msgs = messages("apps", "StatefulSet", statefulset(serviceName="other"), old)
    assert msgs == [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
        "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' "
        "are forbidden"
    ]


def daemonset(**spec):
    spec.setdefault("selector", {"matchLabels": {"app": "web"}})
    spec.setdefault("template", template())
    return {"metadata": meta("agent"), "spec": spec}


def test_daemonset():
    assert messages("apps", "DaemonSet", daemonset()) == []
    ds = daemonset(
        updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}
    )
    assert messages("apps", "DaemonSet", ds) == [
        "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is "
        "non-zero"
    ]
    ds = daemonset(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}})
    assert messages("apps", "DaemonSet", ds) == [
        "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"
    ]


def test_replication_controller():
    rc = {"metadata": meta("rc"), "spec": {"template": template()}}
    assert messages("", "ReplicationController", rc) == []
    rc = {"metadata": meta("rc"), "spec": {"selector": {"app": "x"}, "template": template()}}
    assert messages("", "ReplicationController", rc) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not '
        "match template `labels`"
    ]


# ---- batch --------------------------------------------------------------------------------


def job(**spec):
    spec.setdefault("selector", {"matchLabels": {"app": "web"}})
    spec.setdefault("template", template(restartPolicy="Never"))
    return {"metadata": meta("pi"), "spec": spec}


def test_a_job_is_valid():
    assert messages("batch", "Job", job()) == []


def test_job_restart_policy():
    assert messages("batch", "Job", job(template=template())) == [
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'
    ]


def test_job_counts_are_non_negative():
    assert messages("batch", "Job", job(parallelism=-1, backoffLimit=-2)) == [
        "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
        "spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0",
    ]


def test_job_selector_is_required_once_generated():
    j = job()
    del j["spec"]["selector"]
    assert messages("batch", "Job", j) == ["spec.selector: Required value"]


def test_indexed_jobs_need_completions():
    assert messages("batch", "Job", job(completionMode="Indexed", parallelism=2)) == [
        "spec.completions: Required value: when completion mode is Indexed"
    ]


def test_job_template_is_immutable():
    old = job()
    new = job(template=template(restartPolicy="OnFailure"))
    msgs = messages("batch", "Job", new, old)
    assert len(msgs) == 1 and msgs[0].startswith("spec.template: Invalid value: ")
    assert msgs[0].endswith(": field is immutable")
    assert messages("batch", "Job", job(parallelism=5, completions=1), old) == []
    assert messages("batch", "Job", job(parallelism=5), old) == [
        "spec.completions: Invalid value: null: field is immutable"
    ]


def test_suspended_job_may_change_scheduling_directives():
    old = job(suspend=True)
    new = job(suspend=True, template=template(restartPolicy="Never", nodeSelector={"disk": "ssd"}))
    assert messages("batch", "Job", new, old) == []


def cronjob(schedule="*/5 * * * *", **spec):
    spec.setdefault("jobTemplate", {"spec": {"template": template(restartPolicy="OnFailure")}})
    return {"metadata": meta("backup"), "spec": {"schedule": schedule, **spec}}


@pytest.mark.parametrize(
    "schedule",
    ["*/5 * * * *", "0 3 * * MON-FRI", "@hourly", "@every 1h30m", "0 0 1,15 jan,jul ?", "5/10 0-23/2 * * 0"],
)
def test_valid_schedules(schedule):
    assert messages("batch", "CronJob", cronjob(schedule)) == []


@pytest.mark.parametrize(
    ("schedule", "detail"),
    [
        ("* * *", "expected exactly 5 fields, found 3: [* * *]"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
    ],
)
def test_invalid_schedules(schedule, detail):
    assert messages("batch", "CronJob", cronjob(schedule)) == [
        f'spec.schedule: Invalid value: "{schedule}": {detail}'
    ]


def test_cronjob_schedule_required_and_time_zone_checked():
    cj = cronjob()
    del cj["spec"]["schedule"]
    assert messages("batch", "CronJob", cj) == ["spec.schedule: Required value"]
    assert messages("batch", "CronJob", cronjob(timeZone="Mars/Olympus")) == [
        'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'
    ]
    assert messages("batch", "CronJob", cronjob(timeZone="Europe/Paris")) == []


def test_cronjob_job_template_rules():
    cj = cronjob(jobTemplate={"spec": {"template": template()}})
    assert messages("batch", "CronJob", cj) == [
        'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'
    ]
    cj = cronjob(concurrencyPolicy="Sometimes")
    assert messages("batch", "CronJob", cj) == [
        'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'
    ]


def test_cronjob_names_leave_room_for_the_job_suffix():
    cj = cronjob()
    cj["metadata"]["name"] = "n" * 53
    assert messages("batch", "CronJob", cj) == [
        f'metadata.name: Invalid value: "{"n" * 53}": must be no more than 52 characters'
    ]


def test_containers_in_job_templates_are_checked():
    j = job(template=template(restartPolicy="Never", containers=[container(image="")]))
    assert messages("batch", "Job", j) == ["spec.template.spec.containers[0].image: Required value"]
