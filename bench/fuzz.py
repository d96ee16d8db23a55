"""Long fuzz runs against a real API server, from its own OpenAPI v3 documents.

    python bench/fuzz.py [--examples 20] [--seed 1] [--only apps/v1]

For every served group/version, schemathesis generates `--examples` requests per operation
(valid and invalid values in paths, queries and bodies) and sends them; the table counts the
operations, the cases sent, the answers that were 5xx and the connections the server dropped
without an answer. The suite's own fuzz test (tests/integration/test_fuzz.py) is the short,
deterministic version of this. Watches are sent as lists (a watch streams until its timeout).
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from kubelite.server.testing import LocalCluster


@dataclass
class Tally:
    operations: int = 0
    cases: int = 0
    server_errors: int = 0
    dropped: int = 0
    examples: list[str] = field(default_factory=list)


def _get(cluster: LocalCluster, path: str) -> dict:
    pki = cluster.data_dir / "pki"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(pki / "admin.crt", pki / "admin.key")
    with urllib.request.urlopen(cluster.url + path, context=ctx, timeout=60) as r:
        return json.loads(r.read())


def fuzz_group_version(cluster: LocalCluster, doc: dict, examples: int, seed_value: int) -> Tally:
    ops = [r.ok() for r in schemathesis.openapi.from_dict(doc).get_all_operations()]
    tally = Tally(operations=len(ops))
    if not ops:
        return tally
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    cases = st.one_of(*(op.as_strategy(generation_mode=m) for op in ops for m in modes))
    pki = cluster.data_dir / "pki"
    session = requests.Session()
    session.cert = (str(pki / "admin.crt"), str(pki / "admin.key"))

    @seed(seed_value)
    @settings(
        max_examples=examples * len(ops),
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def one(case) -> None:
        query = dict(case.query or {})
        query.pop("watch", None)
        case.query = query
        tally.cases += 1
        try:
            response = case.call(
                base_url=cluster.url, session=session, verify=str(pki / "ca.crt"), timeout=60
            )
        except requests.ConnectionError as err:
            tally.dropped += 1
            tally.examples.append(f"dropped: {case.method} {case.formatted_path} {query}: {err}")
            return
        if response.status_code >= 500:
            tally.server_errors += 1
            tally.examples.append(f"{response.status_code}: {case.method} {case.formatted_path} {query}")

    one()
    session.close()
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=20, help="cases per operation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="", help="one group/version, e.g. apps/v1 or v1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cluster = LocalCluster(Path(tmp) / "cluster").start()
        try:
            rows = []
            for key, entry in sorted(_get(cluster, "/openapi/v3")["paths"].items()):
                gv = key.removeprefix("apis/").removeprefix("api/")
                if args.only and gv != args.only:
                    continue
                started = time.monotonic()
                tally = fuzz_group_version(
                    cluster, _get(cluster, entry["serverRelativeURL"]), args.examples, args.seed
                )
                rows.append((gv, tally, time.monotonic() - started))
                print(
                    f"  {gv}: {tally.cases} cases, {tally.server_errors} 5xx, {tally.dropped} dropped",
                    file=sys.stderr,
                )
            unexpected = cluster.log_path.read_text(errors="replace").count("unexpected error serving")
        finally:
            cluster.stop()
    print("\n| group/version | operations | cases | 5xx | dropped | seconds |\n|---|---|---|---|---|---|")
    for gv, t, seconds in rows:
        print(f"| {gv} | {t.operations} | {t.cases} | {t.server_errors} | {t.dropped} | {seconds:.0f} |")
    total = Tally(
        operations=sum(t.operations for _, t, _ in rows),
        cases=sum(t.cases for _, t, _ in rows),
        server_errors=sum(t.server_errors for _, t, _ in rows),
        dropped=sum(t.dropped for _, t, _ in rows),
    )
    print(f"| all | {total.operations} | {total.cases} | {total.server_errors} | {total.dropped} | |")
    print(f"\nunexpected errors in the API server log: {unexpected}")
    for _, t, _ in rows:
        for line in t.examples[:5]:
            print("  " + line)
    return 1 if total.server_errors or total.dropped else 0


if __name__ == "__main__":
    sys.exit(main())
