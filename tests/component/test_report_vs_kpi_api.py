"""Every number of a generated month's JSON report equals what the KPI API returns for the
same agreement and period (this month, last month, each month of the trend, each day, each
slice of the breakdowns: `?period=...&by=<dimension>`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.api.deps import Runtime
from services.core.kpi.aggregate import Aggregate
from services.core.reports.breakdowns import DIMENSIONS, SliceFigure, ranked
from services.core.reports.build import build_report
from services.core.reports.fetch import day_as_of, fetch_inputs
from tests.auth import admin_client
from tests.component.offline_api import MemoryReader, offline_app
from tests.report_scenario import AGREEMENT, DEMO_AGREEMENTS, PERIOD, STREAM_TIME, bucket_rows

KPIS = f"/v1/agreements/{AGREEMENT}/kpis"


def memory_reader() -> MemoryReader:
    rows = bucket_rows()
    buckets = [
        (r.granularity, r.bucket_start, Aggregate.from_dict(r.data)) for r in rows if not r.slice
    ]
    slices = [
        (*r.slice.split("=", 1), r.granularity, r.bucket_start, Aggregate.from_dict(r.data))
        for r in rows
        if r.slice
    ]
    return MemoryReader({AGREEMENT: STREAM_TIME}, {AGREEMENT: buckets}, {AGREEMENT: slices})


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    application = offline_app(DEMO_AGREEMENTS, memory_reader())
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_client(app) as http:
        yield http


async def report_json(app: FastAPI) -> dict[str, Any]:
    runtime: Runtime = app.state.runtime
    agreement = runtime.agreements[AGREEMENT].agreement
    async with runtime.open_reader() as reader:
        inputs = await fetch_inputs(reader, agreement, PERIOD, now=datetime.now(UTC))
    return build_report(inputs).model_dump(mode="json")


def pair(figure: dict[str, Any]) -> tuple[Any, int]:
    return figure["value"], figure["n"]


async def test_every_number_of_the_report_is_the_kpi_apis(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    report = await report_json(app)
    month = (await client.get(KPIS, params={"period": PERIOD})).json()["windows"][PERIOD]
    last = (await client.get(KPIS, params={"period": "2026-09"})).json()["windows"]["2026-09"]

    assert report["targets"], "the demo agreement has targets"
    for row in report["targets"]:
        assert pair(row["this_month"]) == pair(month["figures"][row["kpi"]]), row["kpi"]
        assert pair(row["last_month"]) == pair(last["figures"][row["kpi"]]), row["kpi"]
    for info in report["other_kpis"]:
        assert pair(info["this_month"]) == pair(month["figures"][info["kpi"]]), info["kpi"]
        assert pair(info["last_month"]) == pair(last["figures"][info["kpi"]]), info["kpi"]
    assert len(report["targets"]) + len(report["other_kpis"]) == len(month["figures"])

    agreement = app.state.runtime.agreements[AGREEMENT].agreement
    answers: dict[tuple[str, str], dict[str, Any]] = {}

    async def figures(name: str, value: str) -> dict[str, Any]:
        if (name, value) not in answers:
            body = (await client.get(KPIS, params={name: value})).json()
            window = value if name == "period" else "24h"
            answers[(name, value)] = body["windows"][window]["figures"]
        return answers[(name, value)]

    for trend in report["trends"]:
        assert [p["period"] for p in trend["monthly"]][-2:] == ["2026-09", PERIOD]
        for point in trend["monthly"]:
            figure = (await figures("period", point["period"]))[trend["kpi"]]
            assert pair(point) == pair(figure), (trend["kpi"], point["period"])
        assert len(trend["daily"]) == 31
        for point in trend["daily"]:
            day = datetime.fromisoformat(point["day"]).date()
            as_of = datetime.fromtimestamp(day_as_of(day, agreement), UTC).isoformat()
            assert pair(point) == pair((await figures("as_of", as_of))[trend["kpi"]]), day


async def test_every_slice_of_the_breakdowns_is_the_kpi_apis_by_dimension(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    report = await report_json(app)
    targets = {t["target_id"]: t for t in report["targets"]}
    by_dimension = {
        d: (await client.get(KPIS, params={"period": PERIOD, "by": d})).json()["windows"][PERIOD]
        for d in DIMENSIONS
    }

    assert {b["dimension"] for b in report["breakdowns"]} == set(DIMENSIONS)  # never agent
    assert len(report["breakdowns"]) == len(targets) * len(DIMENSIONS)
    shown = 0
    for b in report["breakdowns"]:
        assert b["available"], (b["target_id"], b["dimension"])
        api = {
            s["slice"]: pair(s["figures"][b["kpi"]])
            for s in by_dimension[b["dimension"]]["slices"]
            if s["figures"][b["kpi"]]["n"] > 0
        }
        assert {s["key"]: pair(s) for s in b["slices"]} == api, (b["kpi"], b["dimension"])
        target = targets[b["target_id"]]
        want = ranked(
            b["dimension"],
            [SliceFigure(k, v, n) for k, (v, n) in api.items()],
            target["target"],
            target["direction"],
        )
        assert [s["key"] for s in b["slices"]] == [s.key for s in want]  # costliest first
        shown += len(b["slices"])
    assert shown > 0, "the generated month has slices"
