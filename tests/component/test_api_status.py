"""SLA status over buckets served from memory: routes, wall board and /metrics.

The buckets are those of tests/component/api_scenario.py (stream time 2026-10-14 09:30 UTC);
every expected status and number below is worked out by hand from its EXPECTED figures and
docs/sla.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.api.deps import Runtime
from services.core.kpi.aggregate import Aggregate
from tests.auth import admin_client
from tests.component.api_scenario import T, bucket_rows
from tests.component.offline_api import MemoryReader, offline_app, samples

ACME, IDLE, EMPTY = "acme-helpdesk", "idle-desk", "empty-desk"
SINCE = "effective_from: '2026-01-01T00:00:00Z'"
ACME_TARGETS = f"""
      - {{target_id: frt-mean, kpi: frt_mean_seconds, target: 1500, baseline: 1800,
         direction: at_most, window: 24h, at_risk_band: 200, {SINCE}}}
      - {{target_id: frt-mean, kpi: frt_mean_seconds, target: 100, direction: at_most,
         window: 24h, effective_from: '2999-01-01T00:00:00Z'}}
      - {{target_id: frt-attainment, kpi: frt_attainment, target: 0.8, baseline: 0.6,
         direction: at_least, window: 30d, at_risk_band: 0.05, {SINCE}}}
      - {{target_id: csat, kpi: csat, target: 0.45, direction: at_least, window: month,
         at_risk_band: 0.1, {SINCE}}}
      - {{target_id: resolution, kpi: resolution_mean_seconds, target: 3600,
         direction: at_most, window: 24h, {SINCE}}}
      - {{target_id: service-level, kpi: service_level, target: 0.5, baseline: 0.4,
         direction: at_least, window: quarter, {SINCE}}}
      - {{target_id: old, kpi: csat, target: 0.5, direction: at_least, window: 7d, {SINCE}}}
      - {{target_id: old, kpi: csat, target: 0.5, direction: at_least, window: 7d,
         retired: true, effective_from: '2026-02-01T00:00:00Z'}}"""
IDLE_TARGETS = f"""
      - {{target_id: frt-attainment, kpi: frt_attainment, target: 0.9, direction: at_least,
         window: 30d, {SINCE}}}"""


def write_agreements(path: Path) -> Path:
    body = "agreements:\n"
    for aid, zone, client, targets in (
        (ACME, "Europe/Berlin", "acme", ACME_TARGETS),
        (IDLE, "UTC", "initech", IDLE_TARGETS),
        (EMPTY, "UTC", "globex", " []"),
    ):
        body += (
            f"  - agreement_id: {aid}\n    name: Agreement {aid}\n    client: {client}\n"
            "    provider: supportco\n"
            "    parties: {client: {name: Client}, provider: {name: Provider}}\n"
            f"    term: {{effective_from: 2026-01-01}}\n    timezone: {zone}\n"
            "    frt_target_seconds: {low: 3600, normal: 3600, high: 3600, urgent: 3600}\n"
            "    resolution_target_seconds: {low: 3600, normal: 3600, high: 3600, urgent: 3600}\n"
            f"    targets:{targets}\n"
        )
    path.write_text(body)
    return path


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    rows = bucket_rows(ACME)
    buckets = [(r.granularity, r.bucket_start, Aggregate.from_dict(r.data)) for r in rows]
    reader = MemoryReader({ACME: T}, {ACME: buckets})
    application = offline_app(write_agreements(tmp_path / "a.yaml"), reader)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_client(app) as http:
        yield http


# target -> (status, value, n, progress_percent, error_budget_remaining, burn_rate)
EXPECTED: dict[str, tuple[Any, ...]] = {
    # 24h frt mean 1200 <= 1500 - 200; progress (1200 - 1800) / (1500 - 1800) = 200 %
    "frt-mean": ("met", 1200.0, 2, 200.0, None, None),
    # 30d attainment 0.5 < 0.8; budget 1 - 0.5 / 0.2; 1h attainment 1.0 burns nothing
    "frt-attainment": ("breached", 0.5, 2, pytest.approx(-50.0), pytest.approx(-1.5), 0.0),
    # October csat 0.5 within [0.45, 0.55); no baseline; budget 1 - 0.5 / 0.55
    "csat": ("at_risk", 0.5, 2, None, pytest.approx(1 - 0.5 / 0.55), 0.0),
    "resolution": ("no_data", None, 0, None, None, None),
    # Q4 service level 0.5 exactly at the target (band 0): met, budget spent exactly;
    # 1h service level 0.5 burns at (1 - 0.5) / (1 - 0.5) = 1
    "service-level": ("met", 0.5, 2, 100.0, 0.0, 1.0),
}


async def test_every_target_in_effect_is_judged(client: httpx.AsyncClient) -> None:
    body = (await client.get(f"/v1/agreements/{ACME}/status")).json()

    targets = {t["target_id"]: t for t in body["targets"]}
    assert list(targets) == sorted(EXPECTED)  # no retired `old`
    fields = ("status", "value", "n", "progress_percent", "error_budget_remaining", "burn_rate")
    got = {k: tuple(t[f] for f in fields) for k, t in targets.items()}
    assert got == EXPECTED
    frt = targets["frt-mean"]
    assert (frt["target"], frt["baseline"], frt["direction"]) == (1500.0, 1800.0, "at_most")
    assert (frt["window"], frt["at_risk_band"], frt["kpi"]) == ("24h", 200.0, "frt_mean_seconds")
    assert {t["stream_time"] for t in body["targets"]} == {"2026-10-14T09:30:00Z"}
    assert all(t["evaluated_at"] for t in body["targets"])

    idle = (await client.get(f"/v1/agreements/{IDLE}/status")).json()["targets"]
    assert [(t["status"], t["stream_time"]) for t in idle] == [("no_data", None)]
    unknown = await client.get("/v1/agreements/nope/status")
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "urn:slawatch:problem:unknown-agreement"


async def test_wall_board_sorts_worst_first(client: httpx.AsyncClient) -> None:
    lines = (await client.get("/v1/status")).json()

    assert [(x["agreement_id"], x["worst_status"]) for x in lines] == [
        (ACME, "breached"),
        (IDLE, "no_data"),
        (EMPTY, None),
    ]
    assert lines[0]["counts"] == {"met": 2, "at_risk": 1, "breached": 1, "no_data": 1}
    assert (lines[0]["client"], lines[0]["name"]) == ("acme", f"Agreement {ACME}")
    assert lines[0]["stream_time"] == "2026-10-14T09:30:00Z"
    assert lines[2]["counts"] == {"met": 0, "at_risk": 0, "breached": 0, "no_data": 0}


async def test_metrics_expose_the_sla_series(app: FastAPI, client: httpx.AsyncClient) -> None:
    runtime: Runtime = app.state.runtime
    assert await runtime.cache.refresh()
    got = samples((await client.get("/metrics")).text)

    def series(name: str, target: str, kpi: str, **extra: str) -> Any:
        labels = {"agreement": ACME, "client": "acme", "target": target, "kpi": kpi, **extra}
        return got.get((name, tuple(sorted(labels.items()))))

    one_hot = {
        s: series("slawatch_sla_status", "frt-attainment", "frt_attainment", status=s)
        for s in ("met", "at_risk", "breached", "no_data")
    }
    assert one_hot == {"met": 0.0, "at_risk": 0.0, "breached": 1.0, "no_data": 0.0}
    assert series("slawatch_sla_status", "csat", "csat", status="at_risk") == 1.0
    value = "slawatch_sla_target_value"
    assert series(value, "frt-attainment", "frt_attainment", window="30d") == 0.8
    assert series(value, "csat", "csat", window="month") == 0.45
    assert series("slawatch_sla_baseline_value", "frt-mean", "frt_mean_seconds") == 1800.0
    assert series("slawatch_sla_baseline_value", "csat", "csat") is None
    edge = "slawatch_sla_at_risk_value"
    assert series(edge, "frt-mean", "frt_mean_seconds") == 1300.0  # 1500 - 200
    assert series(edge, "frt-attainment", "frt_attainment") == pytest.approx(0.85)
    assert series(edge, "service-level", "service_level") == 0.5  # band 0: the target
    objective = "slawatch_sla_objective_ratio"
    assert series(objective, "frt-attainment", "frt_attainment") == 0.8
    assert series(objective, "frt-mean", "frt_mean_seconds") is None  # not attainment-style
    good = {
        w: series("slawatch_sla_good_ratio", "frt-attainment", "frt_attainment", window=w)
        for w in ("5m", "30m", "1h", "6h", "24h", "3d", "7d", "30d")
    }
    # replies at 09:25 (in time) and 06:30 (late); 5m = [09:26, 09:31) holds neither
    assert good == {"5m": None, "30m": 1.0, "1h": 1.0} | dict.fromkeys(
        ("6h", "24h", "3d", "7d", "30d"), 0.5
    )
    budget = "slawatch_sla_error_budget_remaining_ratio"
    assert series(budget, "frt-attainment", "frt_attainment") == pytest.approx(-1.5)
    assert series(budget, "service-level", "service_level") == 0.0
    assert series(budget, "frt-mean", "frt_mean_seconds") is None
    assert not any(("agreement", EMPTY) in labels for _, labels in got)
    idle = (("agreement", IDLE), ("client", "initech"), ("kpi", "frt_attainment"))
    idle_status = tuple(sorted((*idle, ("status", "no_data"), ("target", "frt-attainment"))))
    assert got[("slawatch_sla_status", idle_status)] == 1.0


async def test_openapi_documents_the_status_routes(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    assert "/v1/status" in schema["paths"]
    history = schema["paths"]["/v1/agreements/{agreement_id}/status/history"]["get"]
    assert {p["name"] for p in history["parameters"]} >= {"from", "to"}
    for name in ("TargetStatusOut", "AgreementStatusOut", "StatusLineOut", "StatusChangeOut"):
        assert schema["components"]["schemas"][name]["examples"], name
