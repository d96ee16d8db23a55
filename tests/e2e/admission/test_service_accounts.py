"""Service accounts through the real kubectl, with `kubelite controller-manager` running the
service account controllers: a new namespace gets its `default` ServiceAccount and its
`kube-root-ca.crt` ConfigMap; `kubectl create token` issues tokens the API server believes
(`kubectl --token ... auth whoami`) while what they are bound to exists; legacy token Secrets
are filled; the OIDC discovery documents describe the signing key."""

from __future__ import annotations

import base64
import json
import subprocess

from kubelite.server.testing import LocalCluster
from kubelite.util.testing import wait_for


def _get(cluster: LocalCluster, *args: str) -> dict | None:
    r = cluster.kubectl("get", *args, "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def test_a_new_namespace_gets_its_default_service_account_and_root_ca(controlled):
    controlled.kubectl("create", "namespace", "fresh")
    wait_for(
        lambda: _get(controlled, "serviceaccount", "default", "-n", "fresh"), "the default service account"
    )
    cm = wait_for(
        lambda: _get(controlled, "configmap", "kube-root-ca.crt", "-n", "fresh"), "kube-root-ca.crt"
    )
    assert cm["data"]["ca.crt"] == (controlled.data_dir / "pki" / "ca.crt").read_text()
    controlled.kubectl("run", "p", "--image=busybox", "-n", "fresh")


def _as(cluster: LocalCluster, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    """kubectl with nothing but the token (no client certificate to fall back on)."""
    return subprocess.run(
        [
            "kubectl",
            "--kubeconfig=/dev/null",
            f"--server={cluster.url}",
            f"--certificate-authority={cluster.data_dir / 'pki' / 'ca.crt'}",
            f"--token={token}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=cluster.env(),
    )


def _whoami(cluster: LocalCluster, token: str) -> dict | None:
    r = _as(cluster, token, "auth", "whoami", "-o", "json")
    return json.loads(r.stdout)["status"]["userInfo"] if r.returncode == 0 else None


def test_kubectl_create_token_issues_a_token_that_authenticates_as_the_service_account(controlled):
    controlled.kubectl("create", "namespace", "tok")
    sa = wait_for(
        lambda: _get(controlled, "serviceaccount", "default", "-n", "tok"), "the default service account"
    )
    token = controlled.kubectl("create", "token", "default", "-n", "tok").stdout.strip()
    user = _whoami(controlled, token)
    assert user["username"] == "system:serviceaccount:tok:default"
    assert user["uid"] == sa["metadata"]["uid"]
    assert user["groups"] == ["system:serviceaccounts", "system:serviceaccounts:tok", "system:authenticated"]
    assert user["extra"]["authentication.kubernetes.io/credential-id"][0].startswith("JTI=")
    assert _as(controlled, token + "x", "auth", "whoami").stderr.strip() == (
        "error: You must be logged in to the server (Unauthorized)"
    )


def test_a_token_request_answers_with_its_defaults_and_kubernetes_bounds(controlled):
    controlled.kubectl("create", "namespace", "req")
    wait_for(
        lambda: _get(controlled, "serviceaccount", "default", "-n", "req"), "the default service account"
    )
    out = json.loads(controlled.kubectl("create", "token", "default", "-n", "req", "-o", "json").stdout)
    assert out["metadata"] == {"name": "default", "namespace": "req", "creationTimestamp": None}
    assert out["spec"] == {
        "audiences": ["https://kubernetes.default.svc.cluster.local"],
        "expirationSeconds": 3600,
        "boundObjectRef": None,
    }
    r = controlled.kubectl("create", "token", "default", "-n", "req", "--duration=5m", check=False)
    assert r.stderr.strip() == (
        'error: failed to create token: TokenRequest.authentication.k8s.io "default" is invalid: '
        "spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes"
    )
    r = controlled.kubectl("create", "token", "ghost", "-n", "req", check=False)
    assert r.stderr.strip() == 'error: failed to create token: serviceaccounts "ghost" not found'


def test_a_token_bound_to_a_pod_dies_with_the_pod(controlled):
    controlled.kubectl("create", "namespace", "bound")
    wait_for(
        lambda: _get(controlled, "serviceaccount", "default", "-n", "bound"), "the default service account"
    )
    controlled.kubectl("run", "p", "--image=busybox", "-n", "bound")
    pod = _get(controlled, "pod", "p", "-n", "bound")
    token = controlled.kubectl(
        "create", "token", "default", "-n", "bound", "--bound-object-kind=Pod", "--bound-object-name=p"
    ).stdout.strip()
    extra = _whoami(controlled, token)["extra"]
    assert extra["authentication.kubernetes.io/pod-name"] == ["p"]
    assert extra["authentication.kubernetes.io/pod-uid"] == [pod["metadata"]["uid"]]
    controlled.kubectl("delete", "pod", "p", "-n", "bound", "--grace-period=0", "--force")
    assert _whoami(controlled, token) is None


def test_a_legacy_token_secret_is_filled_and_its_token_authenticates(controlled):
    controlled.kubectl("create", "namespace", "legacy")
    wait_for(
        lambda: _get(controlled, "serviceaccount", "default", "-n", "legacy"), "the default service account"
    )
    controlled.kubectl(
        "apply",
        "-n",
        "legacy",
        "-f",
        "-",
        input="""
apiVersion: v1
kind: Secret
metadata:
  name: default-token
  annotations: {kubernetes.io/service-account.name: default}
type: kubernetes.io/service-account-token
""",
    )
    secret = wait_for(
        lambda: (
            (s := _get(controlled, "secret", "default-token", "-n", "legacy"))
            and s.get("data", {}).get("token")
            and s
        ),
        "the token in the secret",
    )
    assert sorted(secret["data"]) == ["ca.crt", "namespace", "token"]
    token = base64.b64decode(secret["data"]["token"]).decode()
    assert _whoami(controlled, token)["username"] == "system:serviceaccount:legacy:default"
    controlled.kubectl("delete", "secret", "default-token", "-n", "legacy")
    assert _whoami(controlled, token) is None


def test_oidc_discovery_describes_the_issuer_and_its_keys(controlled):
    config = json.loads(controlled.kubectl("get", "--raw", "/.well-known/openid-configuration").stdout)
    assert config == {
        "issuer": "https://kubernetes.default.svc.cluster.local",
        "jwks_uri": f"https://127.0.0.1:{controlled.port}/openid/v1/jwks",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    }
    [key] = json.loads(controlled.kubectl("get", "--raw", "/openid/v1/jwks").stdout)["keys"]
    assert (key["use"], key["kty"], key["crv"], key["alg"]) == ("sig", "EC", "P-256", "ES256")
    token = controlled.kubectl("create", "token", "default").stdout.strip()
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": key["kid"], "typ": "JWT"}
