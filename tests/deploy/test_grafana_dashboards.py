"""The Grafana dashboards: fresh from their builder, and querying only documented metrics.

Parsing every query with promtool is tests/deploy/test_dashboards_queries.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.grafana import build
from deploy.grafana.queries import (
    DASHBOARD_DIR,
    RULE_DIR,
    all_queries,
    dashboard_queries,
    documented_metrics,
    metric_names,
    substitute,
)

ROOT = Path(__file__).resolve().parents[2]
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
BOARDS = sorted(DASHBOARD_DIR.glob("*.json"))


def recorded_names() -> set[str]:
    names = set()
    for path in RULE_DIR.glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {rule["record"] for rule in group["rules"] if "record" in rule}
    return names


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p["type"] != "row"]


def test_committed_dashboards_equal_a_fresh_build() -> None:
    rendered = build.render()
    assert sorted(rendered) == [p.name for p in BOARDS]
    for name, text in rendered.items():
        assert (DASHBOARD_DIR / name).read_text() == text, "run: python -m deploy.grafana.build"


@pytest.mark.parametrize("where_expr", all_queries(), ids=lambda q: q[0])
def test_queries_use_only_documented_metrics(where_expr: tuple[str, str]) -> None:
    where, expr = where_expr
    allowed = documented_metrics()
    if ".rules.yml" in where:  # rules may use recordings and Prometheus' own `up`
        allowed |= recorded_names() | {"up"}
    assert metric_names(expr) <= allowed, f"{where}: {expr}"


@pytest.mark.parametrize("path", BOARDS, ids=lambda p: p.name)
def test_panels_use_the_provisioned_datasource_and_fit_the_grid(path: Path) -> None:
    source = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    uid = source["datasources"][0]["uid"]
    board = json.loads(path.read_text())
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels(board):
        assert panel["datasource"]["uid"] == uid
        assert panel["targets"], panel["title"]
        assert all(t["datasource"]["uid"] == uid for t in panel["targets"])
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24


def test_dashboard_provider_loads_the_dashboards_folder() -> None:
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "slawatch.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


def test_agreement_dashboard_filters_every_panel_on_its_variable() -> None:
    board = json.loads((DASHBOARD_DIR / "agreement.json").read_text())
    assert [v["name"] for v in board["templating"]["list"]] == ["agreement", "window"]
    for panel in panels(board):
        for target in panel["targets"]:
            assert 'agreement="$agreement"' in target["expr"], panel["title"]


def test_agreement_kpi_panels_show_target_baseline_and_risk() -> None:
    board = json.loads((DASHBOARD_DIR / "agreement.json").read_text())
    panel = next(p for p in panels(board) if p["title"] == "frt_attainment")
    legends = [t["legendFormat"] for t in panel["targets"]]
    assert legends == [
        "value ($window)",
        "target {{target}}",
        "baseline {{target}}",
        "at-risk edge {{target}}",
        "at risk",
        "breached",
    ]


def test_overview_sorts_agreements_worst_status_first() -> None:
    board = json.loads((DASHBOARD_DIR / "overview.json").read_text())
    table = next(p for p in panels(board) if p["title"] == "Agreements, worst status first")
    sort = next(t for t in table["transformations"] if t["id"] == "sortBy")
    assert sort["options"]["sort"] == [{"field": "Worst status", "desc": True}]
    mapping = table["fieldConfig"]["overrides"][0]["properties"][0]["value"][0]["options"]
    assert {v["text"] for v in mapping.values()} == {"Breached", "At risk", "No data", "Met"}


def test_variables_are_substituted() -> None:
    queries = dict(dashboard_queries(DASHBOARD_DIR / "agreement.json", {"agreement": "acme"}))
    frt = queries["agreement.json: frt_attainment (A)"]
    assert frt == 'max(slawatch_frt_attainment_ratio{agreement="acme", window="30d"})'
    assert queries["agreement.json: variable $agreement"] == "slawatch_kpi_samples"


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        ('sum by (le) (rate(a_bucket{x="y"}[5m]))', {"a_bucket"}),
        ("max by (a) (m) / on (a) group_left () (1 - (n < 1))", {"m", "n"}),
        ("rec:a_b:5m > bool 1e3 and on () count(x) or vector(0)", {"rec:a_b:5m", "x"}),
        ('time() - max(s{a="sum(b)"}) offset 1h', {"s"}),
    ],
)
def test_metric_names(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rate(x[$__rate_interval])", "rate(x[5m])"),
        ('x{a="$agreement", w="${window}", z="[[agreement]]"}', 'x{a="acme", w="7d", z="acme"}'),
    ],
)
def test_substitute(text: str, expected: str) -> None:
    assert substitute(text, {"agreement": "acme", "window": "7d"}) == expected


def test_documented_metrics_expand_shorthands_and_histograms() -> None:
    names = documented_metrics()
    assert {"slawatch_aht_p90_seconds", "slawatch_resolution_p50_seconds"} <= names
    assert "slawatch_worker_processing_seconds_bucket" in names
    assert "slawatch_first_response_seconds_count" in names
    assert "slawatch_sla_status_bucket" not in names
