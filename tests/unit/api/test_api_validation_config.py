"""Validation of the cluster-configuration kinds: storage.k8s.io, node.k8s.io, autoscaling,
certificates, admissionregistration, flowcontrol, apiregistration and the review requests."""

# ruff: noqa: E501 -- expected messages are quoted whole, as users see them

import base64

from api_validation_builders import messages, meta
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from kubelite.api.resources import default_catalog
from kubelite.api.validation import validate

AR = "admissionregistration.k8s.io"
FC = "flowcontrol.apiserver.k8s.io"


def test_storage_class_needs_a_provisioner_and_keeps_it():
    assert (
        messages("storage.k8s.io", "StorageClass", {"metadata": meta("sc", None), "provisioner": "a/b"}) == []
    )
    assert messages(
        "storage.k8s.io", "StorageClass", {"metadata": meta("sc", None), "reclaimPolicy": "Recycle"}
    ) == [
        "provisioner: Required value",
        'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
    ]
    old = {"metadata": meta("sc", None), "provisioner": "a/b"}
    new = {"metadata": meta("sc", None), "provisioner": "a/c", "parameters": {"x": "y"}}
    assert messages("storage.k8s.io", "StorageClass", new, old) == [
        "parameters: Forbidden: updates to parameters are forbidden.",
        "provisioner: Forbidden: updates to provisioner are forbidden.",
    ]


def test_csi_driver_defaults_validate_and_modes_are_checked():
    assert (
        messages("storage.k8s.io", "CSIDriver", {"metadata": meta("csi.example.com", None), "spec": {}}) == []
    )
    bad = {"metadata": meta("d", None), "spec": {"volumeLifecycleModes": ["Forever"]}}
    assert messages("storage.k8s.io", "CSIDriver", bad) == [
        'spec.volumeLifecycleModes[0]: Unsupported value: "Forever": supported values: "Ephemeral", "Persistent"'
    ]
    old = {"metadata": meta("d", None), "spec": {"attachRequired": True}}
    new = {"metadata": meta("d", None), "spec": {"attachRequired": False}}
    assert messages("storage.k8s.io", "CSIDriver", new, old) == [
        "spec.attachedRequired: Invalid value: false: field is immutable"
    ]


def test_volume_attachment_needs_exactly_one_source():
    va = {
        "metadata": meta("va", None),
        "spec": {"attacher": "csi.example.com", "nodeName": "n", "source": {}},
    }
    assert messages("storage.k8s.io", "VolumeAttachment", va) == [
        "spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName"
    ]


def test_runtime_class_handler_is_a_dns_label_and_immutable():
    rc = {"metadata": meta("rc", None), "handler": "Run_C"}
    assert messages("node.k8s.io", "RuntimeClass", rc) == [
        "handler: Invalid value: \"Run_C\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    ]
    old = {"metadata": meta("rc", None), "handler": "runc"}
    assert messages(
        "node.k8s.io", "RuntimeClass", {"metadata": meta("rc", None), "handler": "runsc"}, old
    ) == ['handler: Invalid value: "runsc": field is immutable']


def test_hpa_is_validated_in_its_v2_form():
    hpa = {
        "metadata": meta("h"),
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "maxReplicas": 0,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 0}},
                }
            ],
        },
    }
    assert messages("autoscaling", "HorizontalPodAutoscaler", hpa) == [
        "spec.maxReplicas: Invalid value: 0: must be greater than 0",
        "spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`",
        "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
    ]


def _csr_request() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "alice")]))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(csr.public_bytes(Encoding.PEM)).decode()


def test_csr_checks_request_usages_and_signer():
    good = {
        "metadata": meta("c", None),
        "spec": {"request": _csr_request(), "signerName": "example.com/s", "usages": ["client auth"]},
    }
    assert messages("certificates.k8s.io", "CertificateSigningRequest", good) == []
    bad = {
        "metadata": meta("c", None),
        "spec": {"request": base64.b64encode(b"nope").decode(), "signerName": "nodomain", "usages": ["fly"]},
    }
    assert messages("certificates.k8s.io", "CertificateSigningRequest", bad) == [
        'spec.request: Invalid value: "bm9wZQ==": PEM block type must be CERTIFICATE REQUEST',
        'spec.usages[0]: Unsupported value: "fly": supported values: "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment", "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime", "server auth", "signing", "timestamping"',
        "spec.signerName: Invalid value: \"nodomain\": must be a fully qualified domain and path of the form 'example.com/signer-name'",
    ]


def test_csr_approval_only_through_the_approval_subresource():
    rt = next(t for t in default_catalog() if t.kind == "CertificateSigningRequest")
    spec = {"request": _csr_request(), "signerName": "example.com/s", "usages": ["client auth"]}
    old = {"metadata": meta("c", None), "spec": spec, "status": {}}
    approved = {"type": "Approved", "status": "True", "reason": "ok"}
    new = {"metadata": meta("c", None), "spec": spec, "status": {"conditions": [approved]}}
    assert [e.message() for e in validate(rt, new, old)] == [
        'status.conditions: Forbidden: updates may not add a condition of type "Approved"'
    ]
    assert validate(rt, new, old, "approval") == []


def test_webhooks_need_side_effects_review_versions_and_qualified_names():
    cfg = {
        "metadata": meta("w", None),
        "webhooks": [{"name": "hook", "clientConfig": {"url": "http://x/"}, "sideEffects": "Some"}],
    }
    assert messages(AR, "ValidatingWebhookConfiguration", cfg) == [
        'webhooks[0].name: Invalid value: "hook": should be a domain with at least three segments separated by dots',
        'webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
        "webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1",
        "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]",
    ]


def test_validating_admission_policy_needs_rules_and_validations():
    assert messages(AR, "ValidatingAdmissionPolicy", {"metadata": meta("p", None), "spec": {}}) == [
        "spec.matchConstraints: Required value",
        "spec.validations: Required value: validations or auditAnnotations must contain at least one item",
        "spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item",
    ]
    binding = {
        "metadata": meta("b", None),
        "spec": {"policyName": "p", "validationActions": ["Deny", "Warn"]},
    }
    assert messages(AR, "ValidatingAdmissionPolicyBinding", binding) == [
        'spec.validationActions: Invalid value: ["Deny","Warn"]: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'
    ]


def test_flow_schema_and_priority_level():
    fs = {"metadata": meta("fs", None), "spec": {"matchingPrecedence": 1, "priorityLevelConfiguration": {}}}
    assert messages(FC, "FlowSchema", fs) == [
        "spec.matchingPrecedence: Invalid value: 1: only the schema named 'exempt' may have matchingPrecedence 1",
        "spec.priorityLevelConfiguration.name: Required value: must reference a priority level",
    ]
    pl = {
        "metadata": meta("pl", None),
        "spec": {
            "type": "Limited",
            "limited": {"limitResponse": {"type": "Queue", "queuing": {"queues": 4, "handSize": 8}}},
        },
    }
    assert messages(FC, "PriorityLevelConfiguration", pl) == [
        "spec.limited.limitResponse.queuing.handSize: Invalid value: 8: should not be greater than queues (4)"
    ]


def test_api_service_name_is_version_dot_group():
    svc = {
        "metadata": meta("v1.wrong", None),
        "spec": {
            "group": "metrics.k8s.io",
            "version": "v1beta1",
            "groupPriorityMinimum": 100,
            "versionPriority": 100,
        },
    }
    assert messages("apiregistration.k8s.io", "APIService", svc) == [
        'metadata.name: Invalid value: "v1.wrong": must be `spec.version+"."+spec.group`: "v1beta1.metrics.k8s.io"'
    ]


def test_subject_access_review_needs_one_kind_of_attributes_and_a_subject():
    assert messages("authorization.k8s.io", "SubjectAccessReview", {"metadata": {}, "spec": {}}) == [
        "spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified",
        'spec.user: Invalid value: "": at least one of user or group must be specified',
    ]
