"""Server-side printing produces the Tables Kubernetes 1.32 produces.

Row expectations live in golden files (`golden/*.json`): each case is an object, the
resource it belongs to, and the cells `kubectl get -o wide` would show at a fixed time.
`golden/columns.json` holds every built-in resource's column names, types, formats and
priorities.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest

from kubelite.api.errors import BadRequest
from kubelite.api.resources import ResourceType, default_catalog
from kubelite.apiserver.printers import column_definitions, human_duration, printer_for, table_for

GOLDEN = pathlib.Path(__file__).parent / "golden"
CATALOG = default_catalog()
PODS = CATALOG.get("", "v1", "pods")
NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
WIDGETS = ResourceType("example.com", "v1", "widgets", "widget", "Widget", True)


def resource(key: str) -> ResourceType:
    group, _, plural = key.partition("/")
    if group == "example.com":
        return WIDGETS
    return next(t for t in CATALOG if t.group == group and t.plural == plural)


def golden_cases(*names: str) -> list:
    cases = []
    for name in names:
        data = json.loads((GOLDEN / name).read_text())
        for case in data["cases"]:
            case.setdefault("resource", data.get("resource"))
            cases.append(pytest.param(case, id=f"{name[:-5]}: {case['name']}"))
    return cases


@pytest.mark.parametrize(
    "case", golden_cases("pods.json", "workloads.json", "core.json", "events.json", "cluster.json")
)
def test_rows_match_the_golden_cells(case):
    table = table_for(resource(case["resource"]), [case["object"]], now=NOW)
    row = table["rows"][0]
    assert row["cells"] == case["cells"]
    assert row.get("conditions") == case.get("conditions")


def test_every_resource_has_kubernetes_columns():
    expected = json.loads((GOLDEN / "columns.json").read_text())
    for key, columns in expected.items():
        defs = column_definitions(printer_for(resource(key)))
        assert [[c["name"], c["type"], c["format"], c["priority"]] for c in defs] == columns, key


def test_every_row_has_a_cell_for_every_column_wide_ones_included():
    for rt in CATALOG:
        table = table_for(rt, [{"metadata": {"name": "x"}}], now=NOW)
        assert len(table["rows"][0]["cells"]) == len(table["columnDefinitions"]), rt.plural


def test_columns_are_described_with_the_api_documentation():
    defs = {c["name"]: c for c in column_definitions(printer_for(PODS))}
    assert defs["Ready"]["description"] == "The aggregate readiness state of this pod for accepting traffic."
    assert defs["Name"]["description"].startswith("Name must be unique within a namespace.")
    assert defs["IP"]["description"].startswith("podIP address allocated to the pod.")
    # Kubernetes documents RuntimeClass's Handler column with a field ObjectMeta does not have.
    undocumented = {("runtimeclasses", "Handler")}
    for rt in CATALOG:
        for column in column_definitions(printer_for(rt)):
            assert column["description"] or (rt.plural, column["name"]) in undocumented, (
                rt.plural,
                column["name"],
            )


def test_a_table_has_kubernetes_shape():
    pod = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app": "web"},
            "creationTimestamp": "2024-05-01T11:00:00Z",
        },
    }
    table = table_for(PODS, [pod], now=NOW)
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {}
    assert set(table["columnDefinitions"][0]) == {"name", "type", "format", "description", "priority"}
    assert table["rows"][0]["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": pod["metadata"],
    }


def test_include_object_chooses_what_each_row_carries():
    pod = {"metadata": {"name": "web"}}
    assert table_for(PODS, [pod], include_object="Object", now=NOW)["rows"][0]["object"] is pod
    assert "object" not in table_for(PODS, [pod], include_object="None", now=NOW)["rows"][0]
    with pytest.raises(BadRequest):
        table_for(PODS, [pod], include_object="Everything")


def test_an_empty_list_still_describes_its_columns():
    table = table_for(PODS, [], now=NOW)
    assert table["rows"] == [] and len(table["columnDefinitions"]) == 9


def test_column_definitions_are_fresh_for_each_table():
    first = table_for(PODS, [], now=NOW)
    first["columnDefinitions"][0]["name"] = "changed"
    assert table_for(PODS, [], now=NOW)["columnDefinitions"][0]["name"] == "Name"


def test_custom_resources_print_name_and_age():
    table = table_for(
        WIDGETS, [{"metadata": {"name": "w", "creationTimestamp": "2024-04-30T12:00:00Z"}}], now=NOW
    )
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age"]
    assert table["rows"][0]["cells"] == ["w", "24h"]


def test_ages_default_to_the_current_time():
    created = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    age = table_for(PODS, [{"metadata": {"name": "p", "creationTimestamp": created}}])["rows"][0]["cells"][4]
    assert age in ("29s", "30s", "31s")


# ---- human durations: Kubernetes' HumanDuration boundaries ---------------------------------------

MINUTE, HOUR, DAY, YEAR = 60, 3600, 86400, 365 * 86400


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-2, "<invalid>"),
        (-1.5, "0s"),  # clock skew under two seconds reads as now
        (-1, "0s"),
        (0, "0s"),
        (0.9, "0s"),
        (59, "59s"),
        (119, "119s"),
        (119.9, "119s"),
        (2 * MINUTE, "2m"),
        (2 * MINUTE + 1, "2m1s"),
        (9 * MINUTE + 59, "9m59s"),
        (10 * MINUTE, "10m"),
        (10 * MINUTE + 30, "10m"),
        (3 * HOUR - 1, "179m"),
        (3 * HOUR, "3h"),
        (3 * HOUR + 30 * MINUTE, "3h30m"),
        (8 * HOUR - 1, "7h59m"),
        (8 * HOUR, "8h"),
        (47 * HOUR + 59 * MINUTE, "47h"),
        (48 * HOUR, "2d"),
        (2 * DAY + 5 * HOUR, "2d5h"),
        (8 * DAY - 1, "7d23h"),
        (8 * DAY, "8d"),
        (2 * YEAR - 1, "729d"),
        (2 * YEAR, "2y"),
        (2 * YEAR + 12 * DAY, "2y12d"),
        (8 * YEAR - 1, "7y364d"),
        (8 * YEAR, "8y"),
        (8 * YEAR + 100 * DAY, "8y"),
    ],
)
def test_human_duration_boundaries(seconds, text):
    assert human_duration(seconds) == text
