"""Fuzzing the API server from its own OpenAPI v3 documents: no request, valid or not, gets a
5xx or a dropped connection.

schemathesis generates requests for every operation of every served group/version - values
that fit the schema and values that do not, in paths, queries and bodies - from a fixed seed,
bounded so the suite stays fast; `bench/fuzz.py` runs the long version. Watches are asked as
lists (a watch answers by streaming until its timeout, which a request-per-case fuzzer would
wait out).
"""

from __future__ import annotations

import json
import ssl
import urllib.request

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from kubelite.server.testing import LocalCluster

EXAMPLES = 250


def _get(cluster: LocalCluster, path: str) -> dict:
    pki = cluster.data_dir / "pki"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(pki / "admin.crt", pki / "admin.key")
    with urllib.request.urlopen(cluster.url + path, context=ctx, timeout=30) as r:
        return json.loads(r.read())


def _operations(cluster: LocalCluster) -> list:
    ops = []
    for entry in _get(cluster, "/openapi/v3")["paths"].values():
        doc = _get(cluster, entry["serverRelativeURL"])
        ops += [result.ok() for result in schemathesis.openapi.from_dict(doc).get_all_operations()]
    return ops


def test_no_generated_request_gets_a_server_error_or_a_dropped_connection(fresh_cluster: LocalCluster):
    cluster = fresh_cluster
    operations = _operations(cluster)
    assert len(operations) > 300  # every group/version's document was read
    cases = st.one_of(
        *(
            op.as_strategy(generation_mode=mode)
            for op in operations
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        )
    )
    pki = cluster.data_dir / "pki"
    session = requests.Session()
    session.cert = (str(pki / "admin.crt"), str(pki / "admin.key"))
    ca = str(pki / "ca.crt")
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def request_does_not_fail(case) -> None:
        query = dict(case.query or {})
        query.pop("watch", None)
        case.query = query
        # A dropped connection raises here, and fails the test with the request that caused it.
        response = case.call(base_url=cluster.url, session=session, verify=ca, timeout=30)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} {query} -> {response.status_code} {response.text}"
            )

    try:
        request_does_not_fail()
    finally:
        session.close()
    assert failures == [], "\n".join(failures[:20])
    assert cluster.log_path is not None
    assert "unexpected error serving" not in cluster.log_path.read_text(errors="replace")
