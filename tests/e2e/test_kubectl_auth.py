"""`kubectl auth can-i` and `kubectl auth whoami` against the review APIs (kubectl 1.32 sends
these requests as protobuf)."""

from __future__ import annotations

import json


def test_can_i_answers_yes_for_the_admin(cluster):
    assert cluster.kubectl("auth", "can-i", "create", "pods").stdout.strip() == "yes"
    assert cluster.kubectl("auth", "can-i", "delete", "nodes", "--all-namespaces").stdout.strip() == "yes"


def test_can_i_list_shows_the_rules_of_an_allow_all_authorizer(cluster):
    lines = cluster.kubectl("auth", "can-i", "--list", "-n", "default").stdout.splitlines()
    assert lines[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert lines[1].split() == ["*.*", "[]", "[]", "[*]"]
    assert lines[2].split() == ["[*]", "[]", "[*]"]


def test_whoami_names_the_client_certificate_user(cluster):
    out = cluster.kubectl("auth", "whoami").stdout.splitlines()
    assert out[0].split() == ["ATTRIBUTE", "VALUE"]
    assert out[1].split() == ["Username", "kubernetes-admin"]
    assert out[2].split() == ["Groups", "[system:masters", "system:authenticated]"]


def test_whoami_follows_impersonation(cluster):
    out = cluster.kubectl("auth", "whoami", "--as", "system:serviceaccount:demo:robot", "-o", "json").stdout
    info = json.loads(out)["status"]["userInfo"]
    assert info["username"] == "system:serviceaccount:demo:robot"
    assert info["groups"] == ["system:serviceaccounts", "system:serviceaccounts:demo", "system:authenticated"]
