"""The review APIs through the official Python client: access reviews answered by the
allow-all authorizer, token reviews by the static token file, and a 406 for Tables."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request

import orjson
import pytest
from kubernetes import client


def _token(cluster) -> str:
    return (cluster.data_dir / "tokens.csv").read_text().split(",", 1)[0]


def test_subject_access_review_is_allowed_for_any_user(api_client):
    api = client.AuthorizationV1Api(api_client)
    review = client.V1SubjectAccessReview(
        spec=client.V1SubjectAccessReviewSpec(
            user="system:serviceaccount:default:e2e",
            groups=["system:authenticated"],
            resource_attributes=client.V1ResourceAttributes(
                verb="list", resource="configmaps", namespace="default"
            ),
        )
    )
    answer = api.create_subject_access_review(review)
    assert answer.status.allowed is True
    assert answer.status.denied is None


def test_local_subject_access_review_must_match_its_namespace(api_client):
    api = client.AuthorizationV1Api(api_client)
    spec = client.V1SubjectAccessReviewSpec(
        user="bob",
        resource_attributes=client.V1ResourceAttributes(verb="get", resource="pods", namespace="other"),
    )
    review = client.V1LocalSubjectAccessReview(metadata=client.V1ObjectMeta(namespace="default"), spec=spec)
    with pytest.raises(client.ApiException) as err:
        api.create_namespaced_local_subject_access_review("default", review)
    assert err.value.status == 422
    body = orjson.loads(err.value.body)
    assert body["message"] == (
        'LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: '
        'Invalid value: "other": must match metadata.namespace'
    )


def test_token_review_authenticates_static_tokens(cluster, api_client):
    api = client.AuthenticationV1Api(api_client)
    good = api.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec(token=_token(cluster))))
    assert good.status.authenticated is True
    assert good.status.user.username == "kubelite-admin"
    assert good.status.user.groups == ["system:masters", "system:authenticated"]
    bad = api.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec(token="nope")))
    assert not bad.status.authenticated


def test_self_subject_rules_review_needs_a_namespace(api_client):
    api = client.AuthorizationV1Api(api_client)
    with pytest.raises(client.ApiException) as err:
        api.create_self_subject_rules_review(
            client.V1SelfSubjectRulesReview(spec=client.V1SelfSubjectRulesReviewSpec())
        )
    assert err.value.status == 400
    assert orjson.loads(err.value.body)["message"] == "no namespace on request"


def test_a_review_asked_for_as_a_table_is_not_acceptable(cluster):
    ctx = ssl.create_default_context(cafile=str(cluster.data_dir / "pki" / "ca.crt"))
    body = orjson.dumps(
        {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "spec": {"nonResourceAttributes": {"path": "/", "verb": "get"}},
        }
    )
    request = urllib.request.Request(
        f"{cluster.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {_token(cluster)}",
            "Content-Type": "application/json",
            "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, context=ctx)
    assert err.value.code == 406
    status = orjson.loads(err.value.read())
    assert status["reason"] == "NotAcceptable"
    assert status["message"] == (
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf"
    )
